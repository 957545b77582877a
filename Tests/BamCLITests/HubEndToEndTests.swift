import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The Hub as a user meets it: a real `bam-hub` on SQLite, its storage one
/// of two real S3 servers (moto, credentials from its STS; `rclone serve
/// s3`, the region's own keys) or a directory, and the built `bam` on
/// throwaway roots linked to it with an API key.
@Suite("bam with a Hub: init, backup, list, status, passphrase, restore by id", .serialized, .needs(.s3, .debianRoot))
struct HubEndToEndTests {
    /// Server A backs up a changed Debian root through the Hub; server B,
    /// linked to the same account, lists A's backup and restores it by id
    /// with A's passphrase onto a fresh root where other users came first —
    /// with the local restore test's result (owners by name, modes,
    /// contents, the deletion, users mapped to free ids).
    @Test("server B restores server A's backup by id through a Hub with S3 storage", arguments: HubS3Kind.allCases)
    func twoServersThroughTheHub(s3: HubS3Kind) throws {
        let a = try CLISandbox("hub-a-\(s3)"), b = try CLISandbox("hub-b-\(s3)")
        let world = try HubTestWorld(directory: a.path("hub"), storage: s3.storage)
        let src = a.path("root"), tgt = b.path("root"), confA = a.path("conf"), confB = b.path("conf")
        try Posix.makeDirectories(confA, mode: 0o755)
        try Posix.makeDirectories(confB, mode: 0o755)
        try SystemDebianRoot.unpack(into: src)
        try SystemDebianRoot.unpack(into: tgt)

        // The Hub serves the profile of the pristine install.
        let made = try a.bam(["internal", "create-profile", "--root", src, a.path("debian-12-profile"), "--json"])
        #expect(made.status == 0, "\(made.stderr)")
        try world.importProfile(a.path("debian-12-profile"), id: "debian-12")

        // Server A: linked with the API key on stdin.
        let initA = try a.bam(["init", "--apikey-stdin", "--hub", world.url, "--root", src, "--json"], stdin: world.apiKey + "\n")
        #expect(initA.status == 0, "\(initA.stdout)\(initA.stderr)")
        let linked = try CLISandbox.json(initA.stdout)
        #expect(linked["profile"] as? String == "downloaded", "\(linked)")
        #expect(linked["credentials"] as? String == s3.credentialsType, "\(linked)")
        for file in ["secret", "key", "sub_apikey", "hub", "credentials", "profile/dirindex"] {
            #expect(CLISandbox.mode(a.registry.path + "/" + file) == 0o600, "\(file) is 0600")
        }
        #expect(try Posix.readFile(a.registry.path + "/hub") == Array((world.url + "\n").utf8))
        let credentials = String(decoding: try Posix.readFile(a.registry.path + "/credentials"), as: UTF8.self)
        #expect(credentials.contains("sessiontoken=") == (s3 == .moto), "only temporary keys come with a session token")
        let statusBefore = try a.bam(["status"])
        #expect(statusBefore.status == 10, "\(statusBefore.stdout)\(statusBefore.stderr)")

        // The same changes as the local round trip (without the package,
        // which needs the network).
        try SystemDebianRoot.makeAdminChanges(src)

        // Backup: the Hub creates the record and chooses the address.
        let backup = try a.bam(["backup", "--root", src, "--conf-dir", confA, "--json"])
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)\n\(world.hub?.logTail() ?? "")")
        let summary = try CLISandbox.json(backup.stdout)
        let id = try #require(summary["backup_id"] as? String)
        let address = try #require(summary["address"] as? String)
        #expect(address.hasPrefix("s3+http://127.0.0.1:\(world.s3Port)/bam-hub-e2e/"), "\(address)")
        #expect(try HubBackupRegistration.load(a.registry)?.backupID == id)
        let statusAfter = try a.bam(["status", "--json"])
        #expect(statusAfter.status == 0, "\(statusAfter.stdout)\(statusAfter.stderr)")
        #expect(try CLISandbox.json(statusAfter.stdout)["backup_id"] as? String == id)

        // A's passphrase goes to the Hub's record.
        let passphrase = try a.bam(["passphrase", "--noninteractive", "--json"], stdin: "correct horse battery\n")
        #expect(passphrase.status == 0, "\(passphrase.stdout)\(passphrase.stderr)")
        #expect(try CLISandbox.json(passphrase.stdout)["hub_record"] as? String == id)

        // Server B: the same account (API key as an argument, as the original takes it).
        let initB = try b.bam(["init", world.apiKey, "--hub", world.url, "--root", tgt])
        #expect(initB.status == 0, "\(initB.stdout)\(initB.stderr)")
        let list = try b.bam(["list", "--json"])
        #expect(list.status == 0, "\(list.stdout)\(list.stderr)")
        let records = try #require(try CLISandbox.json(list.stdout)["records"] as? [[String: Any]])
        let record = try #require(records.first { $0["backup_id"] as? String == id }, "\(records)")
        #expect(record["address"] as? String == address)
        #expect(record["skpp"] as? Bool == true)
        #expect(record["turnkey_version"] as? String == "debian-12")
        #expect((record["size"] as? Int ?? 0) > 0, "the Hub measured the backup")
        let formatted = try b.bam(["list", "%id|%skpp|%turnkey_version|%address"])
        #expect(formatted.stdout.split(separator: "\n").contains { $0 == "\(id)|Yes|debian-12|\(address)" }, "\(formatted.stdout)")

        // B's target: other users came first, taking the backup's ids.
        try SystemDebianRoot.chroot(tgt, ["useradd", "-m", "-u", "1000", "-U", "-p", "$6$carol$secret", "carol"])
        try SystemDebianRoot.chroot(tgt, ["useradd", "-m", "-u", "1001", "-U", "-p", "$6$dave$secret", "dave"])
        try SystemDebianRoot.chroot(tgt, ["groupadd", "-g", "1005", "ops"])

        let wrong = try b.bam(["restore", id, "--root", tgt, "--conf-dir", confB, "--noninteractive", "--json"], stdin: "not it\n")
        #expect(wrong.status == 11, "\(wrong.stdout)\(wrong.stderr)")
        let restore = try b.bam(
            ["restore", id, "--root", tgt, "--conf-dir", confB, "--noninteractive", "--json"],
            stdin: "correct horse battery\n")
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")

        try SystemDebianRoot.expectAdminChanges(from: src, on: tgt)
        let passwd = try AccountFile.load(tgt + "/etc/passwd", kind: .passwd)
        #expect(passwd.entry(named: "carol").flatMap(passwd.id) == 1000)
        let aliceID = passwd.entry(named: "alice").flatMap(passwd.id)
        #expect(aliceID != nil && aliceID != 1000 && aliceID != 1001)

        // The API key and subkey appear in no output and no registry file.
        let subkey = String(decoding: try Posix.readFile(a.registry.path + "/sub_apikey"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for run in [initA, backup, statusAfter, passphrase, initB, list, restore] {
            #expect(!(run.stdout + run.stderr).contains(world.apiKey), "the API key leaked into output")
            #expect(!(run.stdout + run.stderr).contains(subkey), "the subkey leaked into output")
        }
        for registry in [a.registry.path, b.registry.path] {
            for name in try FileManager.default.subpathsOfDirectory(atPath: registry) {
                guard let data = FileManager.default.contents(atPath: registry + "/" + name) else { continue }
                #expect(!String(decoding: data, as: UTF8.self).contains(world.apiKey), "the API key is stored in \(name)")
            }
        }

        // The Hub goes down: A backs up to the cached address with the
        // cached credentials, and status shows the cached record; both warn.
        world.stopHub()
        try "changed while the Hub is down\n".write(toFile: src + "/etc/issue", atomically: false, encoding: .utf8)
        let offline = try a.bam(["backup", "--root", src, "--conf-dir", confA, "--json"])
        #expect(offline.status == 0, "\(offline.stdout)\(offline.stderr)")
        let offlineSummary = try CLISandbox.json(offline.stdout)
        #expect(offlineSummary["kind"] as? String == "incremental")
        #expect(offlineSummary["address"] as? String == address)
        #expect((offlineSummary["warnings"] as? [String])?.contains { $0.contains("unreachable") } == true, "\(offlineSummary)")
        let offlineStatus = try a.bam(["status", "--short"])
        #expect(offlineStatus.status == 0)
        #expect(offlineStatus.stderr.contains("unreachable"), "\(offlineStatus.stderr)")
    }

    /// A Hub on SQLite with a directory for storage: what `bam status` and
    /// `bam list` say at each step, a wrong API key changing nothing, the
    /// record marked in progress only during the backup, and a Hub that
    /// is down.
    @Test("status exit codes, list formats, a refused API key, and a Hub that is down")
    func statusListAndOffline() throws {
        let s = try CLISandbox("hub-small")
        let world = try HubTestWorld(directory: s.path("hub"), storage: .directory(s.path("storage")))
        let src = s.path("root"), conf = s.path("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        try SystemCommandTests.smallRoot(src, os: "ID=debian\nVERSION_ID=12\n")

        let notInitialised = try s.bam(["status", "--json"])
        #expect(notInitialised.status == 11, "\(notInitialised.stdout)\(notInitialised.stderr)")
        #expect(try CLISandbox.json(notInitialised.stdout)["status"] as? String == "not-initialised")

        let refused = try s.bam(["init", "--apikey-stdin", "--hub", world.url, "--root", src], stdin: "WRONGKEY\n")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("HubAccount.InvalidApiKey"), "\(refused.stderr)")
        #expect(!Posix.fileExists(s.registry.path), "a refused key changes nothing")
        let unreachable = try s.bam(
            ["init", "--apikey-stdin", "--hub", "http://127.0.0.1:\(try TestServerProcess.freePort())", "--root", src],
            stdin: world.apiKey + "\n")
        #expect(unreachable.status == 1 && unreachable.stderr.contains("unreachable"), "\(unreachable.stderr)")
        #expect(!Posix.fileExists(s.registry.path))

        // Linking and backing up, watched: the API key and the subkey are in
        // no process's argv or environment (tar unpacking the profile, gpg, hooks).
        let sampler = SecretExposureTests()
        let (linked, linkSnapshots) = try sampler.runSampling(
            s, ["init", "--apikey-stdin", "--hub", world.url, "--root", src, "--json"],
            stdin: world.apiKey + "\n")
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")
        let subkey = String(decoding: try Posix.readFile(s.registry.path + "/sub_apikey"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CLISandbox.json(linked.stdout)["profile"] as? String == "not on the Hub")
        let again = try s.bam(["init", "--apikey-stdin", "--hub", world.url], stdin: world.apiKey + "\n")
        #expect(again.status == 1 && again.stderr.contains("already initialised"), "\(again.stderr)")
        let noBackup = try s.bam(["status", "--short"])
        #expect(noBackup.status == 10, "\(noBackup.stdout)\(noBackup.stderr)")
        #expect(noBackup.stdout.contains("No backups"))
        let empty = try s.bam(["list"])
        #expect(empty.status == 0 && empty.stdout.hasPrefix("# ID"), "\(empty.stdout)\(empty.stderr)")

        // No profile on the Hub for this id: an explicit one, as the warning says.
        try Posix.writeFileAtomically(s.path("paths.conf"), Array("/etc\n-/etc/passwd*\n-/etc/group*\n".utf8), mode: 0o644)
        let created = try s.bam(["internal", "create-profile", "--root", src, "--dirindex-conf", s.path("paths.conf"), s.path("profile")])
        #expect(created.status == 0, "\(created.stderr)")
        try Posix.writeFileAtomically(src + "/etc/app.conf", Array("a = 2\n".utf8), mode: 0o644)
        let (backup, backupSnapshots) = try sampler.runSampling(
            s,
            [
                "backup", "--root", src, "--conf-dir", conf,
                "--force-profile", s.path("profile"), "--json",
            ])
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        #expect(!linkSnapshots.isEmpty && !backupSnapshots.isEmpty)
        for snapshot in linkSnapshots + backupSnapshots {
            #expect(!snapshot.contains(world.apiKey), "the API key in a process's argv or environment")
            #expect(!snapshot.contains(subkey), "the subkey in a process's argv or environment")
        }
        for output in [linked.stdout, linked.stderr, backup.stdout, backup.stderr] {
            #expect(!output.contains(world.apiKey) && !output.contains(subkey))
        }
        let summary = try CLISandbox.json(backup.stdout)
        let id = try #require(summary["backup_id"] as? String)
        #expect((summary["address"] as? String)?.hasPrefix("file://" + s.path("storage") + "/backups/") == true, "\(summary)")

        let list = try s.bam(["list", "--json"])
        let record = try #require((try CLISandbox.json(list.stdout)["records"] as? [[String: Any]])?.first)
        #expect(record["backup_id"] as? String == id)
        #expect(record["inprogress"] as? Bool == false, "done after the backup")
        #expect(record["skpp"] as? Bool == false)
        let table = try s.bam(["list"])
        #expect(table.stdout.split(separator: "\n").count == 2, "\(table.stdout)")
        #expect(table.stdout.contains("No "), "\(table.stdout)")
        let custom = try s.bam(["list", "%id:%label:%skpp\\t%size"])
        #expect(custom.stdout.hasPrefix("\(id):debian-12:No\t0."), "\(custom.stdout)")
        let ok = try s.bam(["status"])
        #expect(ok.status == 0 && ok.stdout.contains("Backup ID #\(id)"), "\(ok.stdout)")

        // The Hub refuses nothing it is not asked about: a record id it
        // does not know is BackupRecord.NotFound.
        let unknown = try s.bam(["restore", "999", "--root", src, "--conf-dir", conf, "--simulate"])
        #expect(unknown.status == 1 && unknown.stderr.contains("BackupRecord.NotFound"), "\(unknown.stderr)")

        // Down: status and list from the cache, a passphrase change refused
        // (the Hub must get the key first), restore of its own record cached.
        world.stopHub()
        let keyBefore = try s.registry.loadKey()
        let cachedStatus = try s.bam(["status"])
        #expect(cachedStatus.status == 0 && cachedStatus.stderr.contains("cached record"), "\(cachedStatus.stderr)")
        let cachedList = try s.bam(["list", "%id %address"])
        #expect(cachedList.status == 0 && cachedList.stdout.hasPrefix(id + " file://"), "\(cachedList.stdout)\(cachedList.stderr)")
        let refusedPassphrase = try s.bam(["passphrase", "--noninteractive"], stdin: "new one\n")
        #expect(refusedPassphrase.status == 1, "\(refusedPassphrase.stdout)\(refusedPassphrase.stderr)")
        #expect(try s.registry.loadKey() == keyBefore, "the key stays as the Hub has it")
        let cachedRestore = try s.bam(["restore", id, "--root", src, "--conf-dir", conf, "--simulate"])
        #expect(cachedRestore.status == 0, "\(cachedRestore.stdout)\(cachedRestore.stderr)")
        #expect(cachedRestore.stderr.contains("cached address"), "\(cachedRestore.stderr)")
    }
}

/// The S3 servers the Hub's whole flow is tried against.
enum HubS3Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// moto behind an STS role: temporary keys with a session token.
    case moto
    /// `rclone serve s3`: no STS, so the region's plain keys.
    case rclone

    var testDescription: String { rawValue }

    var storage: HubTestWorld.Storage { self == .moto ? .moto : .rclone }

    /// The credentials type the Hub hands out for such a region.
    var credentialsType: String { self == .moto ? "iamrole" : "iamuser" }
}
