import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `bam backup/restore` to `webdavs://` and `ftps://` targets on real
/// servers over TLS (`--ca-file` with the test CA; the login from the
/// environment, never argv): round trips that restore identically, a
/// refused certificate that stores nothing, and a backup killed with
/// `kill -9` that the rerun finishes.
@Suite(.serialized, .needs(.webdav, .ftps, .tls, .duplicity)) struct DriveArchiveCommandTests {
    final class Sandbox {
        let tree: TestTree
        let label: String
        let target: DriveTarget
        let box: BamS3SandboxLike
        let address: String

        init(_ label: String, _ kind: DriveTarget.Kind, certificate: TestCA.Certificate = .good) throws {
            tree = try TestTree(label)
            self.label = label
            target = try DriveTarget(kind, certificate: certificate)
            address = target.address("backups/\(label) n°1")
            box = BamS3SandboxLike(tree: tree, environment: target.environment)
        }

        var source: String { tree.area("source") }
        var cache: String { tree.area("cache") }
        var caFile: String { target.ca.caFile }
        func direct() throws -> StorageBackend { try target.backend("backups/\(label) n°1", caFile: caFile) }
    }

    @Test(arguments: DriveTarget.Kind.allCases) func backupRestoresIdentically(_ kind: DriveTarget.Kind) throws {
        let s = try Sandbox("drive-\(kind)", kind)
        try s.box.bamOK(["init", "--solo"])
        try s.box.makeSource(randomMiB: 3)
        try s.box.bamOK(["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1", "--ca-file", s.caFile])
        try s.tree.file("source/etc/app.conf", "key = changed value\n")
        let inc = try s.box.bamOK(["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1", "--ca-file", s.caFile, "--json"])
        #expect(inc.contains("\"incremental\""), "\(inc)")
        let names = try s.direct().list().map(\.name)
        #expect(names.contains { $0.hasPrefix("duplicity-full.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("duplicity-inc.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")

        let out = s.tree.area("restored")
        try s.box.bamOK(["restore", "--raw-download", out, "--address", s.address, "--ca-file", s.caFile])
        let d = try TreeComparer(expected: s.source, actual: out).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
        // The password is nowhere in what bam wrote.
        let cached = try s.box.grep(s.target.password, under: s.tree.root)
        #expect(cached.isEmpty, "\(cached)")
    }

    @Test(arguments: DriveTarget.Kind.allCases) func expiredCertificateStoresNothing(_ kind: DriveTarget.Kind) throws {
        let s = try Sandbox("drive-expired-\(kind)", kind, certificate: .expired)
        try s.box.bamOK(["init", "--solo"])
        try s.box.makeSource(randomMiB: 0)
        let r = try s.box.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--ca-file", s.caFile])
        #expect(r.status != 0)
        #expect(r.output.contains("certificate verification failed for 127.0.0.1") && r.output.contains("expired"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: s.target.servedPath("backups/\(s.label) n°1")), "nothing stored")
    }

    @Test(arguments: DriveTarget.Kind.allCases) func killedBackupResumes(_ kind: DriveTarget.Kind) throws {
        let s = try Sandbox("drive-resume-\(kind)", kind)
        try s.box.bamOK(["init", "--solo"])
        try s.box.makeSource(randomMiB: 24)
        let args = ["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1", "--ca-file", s.caFile]
        let (process, pipe) = try s.box.process(args)
        let direct = try s.direct()
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && process.isRunning {
            if (try? direct.list().filter({ $0.name.contains(".vol") }).count) ?? 0 >= 3 { break }
            usleep(20_000)
        }
        guard process.isRunning else {
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("bam backup ended before it could be killed: \(output)")
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = pipe.fileHandleForReading.readDataToEndOfFile()
        let before = try direct.list().filter { $0.name.contains(".vol") }
        #expect(try !direct.list().contains { $0.name.hasSuffix(".manifest.gpg") }, "killed before the manifest")

        let rerun = try s.box.bamOK(args + ["--json"])
        #expect(rerun.contains("\"full\""), "\(rerun)")
        let names = try direct.list().map(\.name)
        let stamps = Set(names.compactMap { BackupFileName.parse($0)?.end })
        #expect(stamps.count == 1, "one set, the interrupted one continued: \(names.sorted())")
        for volume in before { #expect(names.contains(volume.name)) }
        // No upload under a temporary name is left on the server.
        let leftovers = s.target.servedFiles("backups/\(s.label) n°1").filter { $0.hasPrefix(".bam-upload") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        let out = s.tree.area("restored")
        try s.box.bamOK(["restore", "--raw-download", out, "--address", s.address, "--ca-file", s.caFile])
        let d = try TreeComparer(expected: s.source, actual: out).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
    }
}

/// Runs the built bam with a registry and cache under a test tree and the
/// target's login in its environment (as `BamS3Sandbox` does for S3).
final class BamS3SandboxLike {
    let tree: TestTree
    let extra: [String: String]

    init(tree: TestTree, environment: [String: String]) {
        self.tree = tree
        extra = environment
    }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["BAM_WEBDAV_USER", "BAM_WEBDAV_PASSWORD", "BAM_FTP_USER", "BAM_FTP_PASSWORD"] { env[k] = nil }
        for (k, v) in extra { env[k] = v }
        env["BAM_REGISTRY"] = tree.area("registry")
        env["BAM_CACHE"] = tree.area("cache")
        return env
    }

    func process(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BamS3Sandbox.binary())
        process.arguments = arguments
        process.environment = environment()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, pipe)
    }

    @discardableResult
    func bam(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (process, pipe) = try self.process(arguments)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @discardableResult
    func bamOK(_ arguments: [String]) throws -> String {
        let r = try bam(arguments)
        guard r.status == 0 else { throw BamError.external("bam \(arguments.first ?? "") exited \(r.status): \(r.output)") }
        return r.output
    }

    /// The source `BamS3Sandbox.makeSource` makes, here.
    func makeSource(randomMiB: Int) throws {
        try tree.file("source/etc/app.conf", "key = value\n")
        try tree.file("source/srv/dossier été/naïve file.txt", "bonjour\n")
        var state: UInt64 = 7
        for i in 0..<randomMiB {
            var bytes = [UInt8](repeating: 0, count: 1 << 20)
            bytes.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for j in words.indices {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    words[j] = state ^ (state >> 29)
                }
            }
            try tree.file(Array("source/data/blob \(i).bin".utf8), bytes)
        }
    }

    /// Files under `root` that contain `needle`.
    func grep(_ needle: String, under root: String) throws -> [String] {
        var hits: [String] = []
        let wanted = Array(needle.utf8)
        for relative in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [] {
            let path = root + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 1 << 20 else { continue }
            let bytes = try Posix.readFile(path)
            if bytes.count >= wanted.count, (0...(bytes.count - wanted.count)).contains(where: { bytes[$0..<$0 + wanted.count].elementsEqual(wanted) }) {
                hits.append(relative)
            }
        }
        return hits
    }
}
