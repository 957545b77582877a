import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `bam prune` as a user runs it: the built binary, a throwaway registry,
/// conf directory and file:// target with three chains.
@Suite("bam prune command", .serialized)
struct PruneCommandTests {
    /// Three chains (the middle one with an incremental); the fulls' times.
    static func threeChains(_ s: CLISandbox) throws -> [String] {
        try s.initialise()
        try s.makeSource()
        var fulls: [String] = []
        for round in 0..<3 {
            try "round \(round)\n".write(toFile: s.source + "/round.txt", atomically: false, encoding: .utf8)
            let full = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--full-backup", "now", "--json"])
            #expect(full.status == 0, "\(full.stderr)")
            fulls.append(try CLISandbox.json(full.stdout)["time"] as? String ?? "")
            if round == 1 {
                try "inc\n".write(toFile: s.source + "/inc.txt", atomically: false, encoding: .utf8)
                #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address]).status == 0)
            }
        }
        try Posix.makeDirectories(s.path("conf"), mode: 0o755)
        return fulls
    }

    @Test("--dry-run --json lists the chains that would go and those kept, and changes nothing")
    func dryRunJSON() throws {
        let s = try CLISandbox("prune-dry")
        let fulls = try Self.threeChains(s)
        let before = CLISandbox.listing(s.target)
        let r = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf"), "--keep-full", "1", "--dry-run", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLISandbox.json(r.stdout)
        #expect(summary["type"] as? String == "summary" && summary["operation"] as? String == "prune")
        #expect(summary["address"] as? String == s.address)
        let report = try #require(summary["report"] as? [String: Any])
        #expect(report["dry_run"] as? Bool == true)
        #expect((report["policy"] as? [String: Any])?["keep_full"] as? Int == 1)
        let removed = try #require(report["removed"] as? [[String: Any]])
        #expect(removed.map { $0["full"] as? String } == [fulls[0], fulls[1]])
        #expect(removed.map { $0["sets"] as? Int } == [1, 2])
        #expect(removed.allSatisfy { ($0["objects"] as? Int ?? 0) >= 3 && ($0["bytes"] as? Int ?? 0) > 0 })
        #expect((report["kept"] as? [[String: Any]])?.map { $0["full"] as? String } == [fulls[2]])
        #expect(CLISandbox.listing(s.target) == before)

        let text = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf"), "--keep-full", "1", "--dry-run"])
        #expect(text.status == 0 && text.stdout.contains("would remove chain \(fulls[0])"), "\(text.stdout)")
    }

    @Test("conf's policy applies when no option is given; options replace it")
    func confPolicyAndOverride() throws {
        let s = try CLISandbox("prune-conf")
        let fulls = try Self.threeChains(s)
        try "keep-full 2\n".write(toFile: s.path("conf") + "/conf", atomically: false, encoding: .utf8)
        let byConf = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf")])
        #expect(byConf.status == 0, "\(byConf.stderr)")
        #expect(byConf.stdout.contains("removed chain \(fulls[0])") && byConf.stdout.contains("keep-full 2"), "\(byConf.stdout)")
        #expect(!CLISandbox.listing(s.target).contains { $0.contains(fulls[0]) })
        #expect(CLISandbox.listing(s.target).contains { $0.contains(fulls[1]) })
        let byOption = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf"), "--keep-full", "1", "--json"])
        #expect(byOption.status == 0, "\(byOption.stderr)")
        #expect(!CLISandbox.listing(s.target).contains { $0.contains(fulls[1]) })
        let restore = try s.bam(["restore", "--raw-download", s.path("out"), "--address", s.address])
        #expect(restore.status == 0, "\(restore.stderr)")
    }

    @Test("no policy, or a bad one, is a usage error (64) naming the options; nothing is touched")
    func usageErrors() throws {
        let s = try CLISandbox("prune-usage")
        let fulls = try Self.threeChains(s)
        let before = CLISandbox.listing(s.target)
        let none = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf")])
        #expect(none.status == 64, "\(none.stderr)")
        #expect(none.stderr.contains("--keep-full") && none.stderr.contains("--keep-within") && none.stderr.contains("keep-full"), "\(none.stderr)")
        for bad in [["--keep-full", "0"], ["--keep-full", "many"], ["--keep-within", "now"], ["--keep-within", "10"]] {
            let r = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf")] + bad)
            #expect(r.status == 64, "\(bad): \(r.stderr)")
        }
        try "keep-within forever\n".write(toFile: s.path("conf") + "/conf", atomically: false, encoding: .utf8)
        let badConf = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf")])
        #expect(badConf.status == 1 && badConf.stderr.contains(s.path("conf") + "/conf:1: keep-within"), "\(badConf.stderr)")
        #expect(CLISandbox.listing(s.target) == before)
        #expect(fulls.count == 3)
        let help = try s.bam(["prune", "--help"])
        for option in ["--address", "--keep-full", "--keep-within", "--dry-run", "--json"] {
            #expect(help.stdout.contains(option), "\(option)")
        }
    }

    @Test("a target another writer holds exits 14 and nothing is deleted")
    func locked() throws {
        let s = try CLISandbox("prune-locked")
        _ = try Self.threeChains(s)
        let lock = try TargetLock.acquire(backend: try FileBackend(address: s.address), operation: "backup", program: "another bam", warn: { _ in })
        defer { lock.release() }
        let before = CLISandbox.listing(s.target)
        let r = try s.bam(["prune", "--address", s.address, "--conf-dir", s.path("conf"), "--keep-full", "1"])
        #expect(r.status == 14, "\(r.stderr)")
        #expect(r.stderr.contains("another bam"), "\(r.stderr)")
        #expect(CLISandbox.listing(s.target) == before)
    }
}
