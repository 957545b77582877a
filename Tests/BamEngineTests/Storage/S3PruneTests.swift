import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `bam prune` on S3 (real moto and rclone servers): the same chains go as
/// on file://, through the storage protocol alone, under the target's lock.
@Suite(.serialized, .needs(.s3)) struct S3PruneTests {
    @Test(arguments: S3ServerKind.allCases) func pruneRemovesWholeChainsOnS3(_ kind: S3ServerKind) throws {
        let box = try BamS3Sandbox("s3-prune", on: kind)
        try box.initialise()
        try box.makeSource(randomMiB: 1)
        let conf = box.tree.area("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        let backup = ["backup", "--raw-upload", box.source, "--address", box.address]
        var fulls: [String] = []
        for round in 0..<3 {
            try box.tree.file("source/round.txt", "round \(round)\n")
            let full = try CLIJSON.last(try box.bamOK(backup + ["--full-backup", "now", "--json"]))
            fulls.append(full["time"] as? String ?? "")
            try box.tree.file("source/inc.txt", "incremental \(round)\n")
            #expect(try CLIJSON.last(try box.bamOK(backup + ["--json"]))["kind"] as? String == "incremental")
        }
        let direct = try box.direct()
        let before = try direct.list().map(\.name).sorted()
        let prune = ["prune", "--address", box.address, "--conf-dir", conf, "--keep-full", "2", "--json"]

        let dry = try CLIJSON.last(try box.bamOK(prune + ["--dry-run"]))
        let dryReport = try #require(dry["report"] as? [String: Any])
        #expect((dryReport["removed"] as? [[String: Any]])?.map { $0["full"] as? String } == [fulls[0]])
        #expect(try direct.list().map(\.name).sorted() == before)

        // Another writer holds the prefix: refused, nothing deleted.
        let lock = try TargetLock.acquire(backend: direct, operation: "backup", program: "another bam", warn: { _ in })
        let refused = try box.bam(prune)
        lock.release()
        #expect(refused.status == 14, "\(refused.output)")
        #expect(try direct.list().map(\.name).sorted() == before)

        let done = try CLIJSON.last(try box.bamOK(prune))
        let report = try #require(done["report"] as? [String: Any])
        #expect((report["kept"] as? [[String: Any]])?.map { $0["full"] as? String } == Array(fulls.dropFirst()))
        let left = try direct.list()
        #expect(!left.contains { $0.name.contains(fulls[0]) || $0.name == TargetLock.objectName }, "\(left.map(\.name))")
        let resolver = ChainResolver(objects: left)
        #expect(resolver.chains.map { BackupTime.format($0.full.end) } == Array(fulls.dropFirst()))
        #expect(resolver.chains.allSatisfy { $0.incrementals.count == 1 } && resolver.strays.isEmpty)
        let cached = try FileManager.default.contentsOfDirectory(atPath: ArchiveCache(root: box.cache, address: box.address).directory)
        #expect(!cached.contains { $0.contains(fulls[0]) }, "\(cached)")

        try box.bamOK(["verify", "--address", box.address, "--compare", box.source])
    }
}

/// The JSON summary a `bam --json` run prints last.
enum CLIJSON {
    static func last(_ output: String) throws -> [String: Any] {
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") && $0.contains("\"summary\"") }.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BamError.invalid("no JSON summary in: \(output)")
        }
        return object
    }
}
