import BamTestSupport
import Foundation
import Testing
@testable import BamEngine

/// The Hub's retention policy as a server meets it: a real `bam-hub` on
/// SQLite with a directory for storage, the account's policy set with
/// `bam-hub account retention`, and the built `bam` backing up through it.
@Suite("bam with a Hub: the account's retention policy")
struct HubRetentionEndToEndTests {
    /// The full sets (chains) stored under `directory`, and the bytes of
    /// everything stored there.
    static func stored(_ directory: String) throws -> (fulls: [String], bytes: Int64) {
        var fulls: [String] = [], bytes: Int64 = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            if name.hasPrefix("duplicity-full.") && name.hasSuffix(".manifest.gpg") { fulls.append(name) }
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            bytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (fulls.sorted(), bytes)
    }

    @Test("the Hub's policy prunes when conf sets none, conf's wins when set, and the record shows what remains")
    func hubPolicyThenConf() throws {
        let s = try CLISandbox("hub-retention")
        let world = try HubTestWorld(directory: s.path("hub"), storage: .directory(s.path("storage")))
        let src = s.path("root"), conf = s.path("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        try SystemCommandTests.smallRoot(src, os: "ID=debian\nVERSION_ID=12\n")
        try Posix.writeFileAtomically(s.path("paths.conf"), Array("/etc\n-/etc/passwd*\n-/etc/group*\n".utf8), mode: 0o644)
        let created = try s.bam(["internal", "create-profile", "--root", src, "--dirindex-conf", s.path("paths.conf"), s.path("profile")])
        #expect(created.status == 0, "\(created.stderr)")
        let linked = try s.bam(["init", "--apikey-stdin", "--hub", world.url, "--root", src], stdin: world.apiKey + "\n")
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")

        // The account's policy: keep the newest full chain only.
        #expect(try world.hubAdmin(["account", "retention", world.email, "--keep-full", "1"]) == "keep-full 1")
        #expect(throws: (any Error).self) { try world.hubAdmin(["account", "retention", world.email, "--keep-full", "0"]) }

        func backup(_ content: String) throws -> [String: Any] {
            // Full sets are named by the second: each backup in a second of its own.
            usleep(1_100_000)
            try Posix.writeFileAtomically(src + "/etc/app.conf", Array(content.utf8), mode: 0o644)
            let run = try s.bam([
                "backup", "--root", src, "--conf-dir", conf, "--force-profile", s.path("profile"), "--full-backup", "now", "--json",
            ])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)\n\(world.hub?.logTail() ?? "")")
            return try CLISandbox.json(run.stdout)
        }
        func hubRecord(_ id: String) throws -> [String: Any] {
            let list = try s.bam(["list", "--json"])
            #expect(list.status == 0, "\(list.stderr)")
            let records = try #require(try CLISandbox.json(list.stdout)["records"] as? [[String: Any]])
            return try #require(records.first { $0["backup_id"] as? String == id }, "\(records)")
        }

        let first = try backup("a = 2\n")
        let id = try #require(first["backup_id"] as? String)
        let address = try #require(first["address"] as? String)
        let directory = String(address.dropFirst("file://".count))
        #expect(try Self.stored(directory).fulls.count == 1)

        // A second chain: the Hub's keep-full 1 removes the first.
        let second = try backup("a = 3\n")
        let prune = try #require(second["prune"] as? [String: Any], "the Hub's policy was applied: \(second)")
        #expect((prune["policy"] as? [String: Any])?["keep_full"] as? Int == 1, "\(prune)")
        #expect((prune["removed"] as? [Any])?.count == 1, "\(prune)")
        var stored = try Self.stored(directory)
        #expect(stored.fulls.count == 1, "\(stored.fulls)")
        // The Hub measured the record after the prune: what remains.
        var record = try hubRecord(id)
        #expect((record["size"] as? NSNumber)?.int64Value == stored.bytes, "\(record) vs \(stored.bytes)")
        #expect(try HubBackupRegistration.load(s.registry)?.size == stored.bytes, "the registry caches the size after pruning")

        // conf sets a policy: it wins over the Hub's.
        try Posix.writeFileAtomically(conf + "/" + BamConf.fileName, Array("keep-full 2\n".utf8), mode: 0o644)
        let third = try backup("a = 4\n")
        let confPrune = try #require(third["prune"] as? [String: Any], "\(third)")
        #expect((confPrune["policy"] as? [String: Any])?["keep_full"] as? Int == 2, "\(confPrune)")
        #expect((confPrune["removed"] as? [Any])?.isEmpty == true, "\(confPrune)")
        stored = try Self.stored(directory)
        #expect(stored.fulls.count == 2, "\(stored.fulls)")
        record = try hubRecord(id)
        #expect((record["size"] as? NSNumber)?.int64Value == stored.bytes, "\(record) vs \(stored.bytes)")

        // Back to the Hub's (conf without a rule), now "keep everything": nothing pruned.
        try Posix.writeFileAtomically(conf + "/" + BamConf.fileName, Array("".utf8), mode: 0o644)
        #expect(try world.hubAdmin(["account", "retention", world.email, "--keep-everything"]) == "keep everything")
        let fourth = try backup("a = 5\n")
        #expect(fourth["prune"] == nil, "\(fourth)")
        #expect(try Self.stored(directory).fulls.count == 3)

        // `bam prune` with neither options nor conf: the Hub's policy too.
        let nothing = try s.bam(["prune", "--conf-dir", conf, "--json"])
        #expect(nothing.status == 1, "the Hub keeps everything: no policy; \(nothing.stdout)\(nothing.stderr)")
        #expect(nothing.stdout.contains("no retention policy") && nothing.stdout.contains("the Hub sets none"), "\(nothing.stdout)")
        #expect(try world.hubAdmin(["account", "retention", world.email, "--keep-full", "1"]) == "keep-full 1")
        let pruned = try s.bam(["prune", "--conf-dir", conf, "--json"])
        #expect(pruned.status == 0, "\(pruned.stdout)\(pruned.stderr)")
        #expect(((try CLISandbox.json(pruned.stdout)["report"] as? [String: Any])?["removed"] as? [Any])?.count == 2, "\(pruned.stdout)")
        #expect(try Self.stored(directory).fulls.count == 1)
    }
}
