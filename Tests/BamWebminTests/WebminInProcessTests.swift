import Foundation
import Testing
import BamEngine
@testable import BamWebmin
#if canImport(Glibc)
import Glibc
#endif

/// The pages that once ran the `bam` CLI for short operations now call the
/// engine's use cases in the CGI request: with a `bam_path` that does not
/// exist, every one of them still works.
@Suite("Webmin pages run the engine in-process", .serialized)
struct WebminInProcessTests {
    @Test("init, passphrase, escrow, schedule on/off and the index (schedule, Hub backups) work without a bam program")
    func noBamProgram() throws {
        let s = try WebminSandbox("inproc")
        let noBam = s.base + "/no-such-bam"
        try s.configure(bamPath: noBam)
        // A root with a cron daemon, so the daily backup has something to run it.
        try s.write(s.root + "/usr/sbin/cron", "", mode: 0o755)
        let token = try s.token()
        let registry = Registry(path: s.registry)

        // Solo init with a local backup directory.
        let initialised = try s.cgi("init.cgi", method: "POST", body: .form([("mode", "solo"), ("target", s.target), ("csrf", token)]))
        #expect(WebminRunTests.result(initialised) == 0, "\(initialised.body)")
        #expect(registry.isInitialised)
        #expect(try RegistryBackupAddress.load(registry) == "file://" + s.target)
        #expect(Posix.fileExists(s.target))

        // Passphrase change: the registry's key opens with the new one.
        let changed = try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", "in process"), ("confirm", "in process"), ("csrf", token)]))
        #expect(WebminRunTests.result(changed) == 0, "\(changed.body)")
        #expect(try KeyPacket.open(registry.loadKey(), passphrase: "in process").bytes == registry.loadSecret().bytes)
        #expect(!changed.body.contains("in process\""))

        // Escrow download: a key packet with its own passphrase.
        let download = try s.cgi(
            "escrow.cgi", method: "POST", body: .form([("protect", "passphrase"), ("passphrase", "escrow pass"), ("confirm", "escrow pass"), ("csrf", token)]))
        #expect(download.headers["content-type"] == "application/octet-stream", "\(download.body.prefix(600))")
        let key = download.body.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try KeyPacket.open(key, passphrase: "escrow pass").bytes == registry.loadSecret().bytes)

        // The daily backup on, shown on the index, and off.
        let on = try s.cgi("schedule.cgi", method: "POST", body: .form([("daily", "on"), ("csrf", token)]))
        #expect(WebminRunTests.result(on) == 0, "\(on.body)")
        #expect(Posix.fileExists(s.root + BackupSchedule.cronFile))
        #expect(try s.cgi("index.cgi").body.contains("id=\"daily\">on"))
        let off = try s.cgi("schedule.cgi", method: "POST", body: .form([("daily", "off"), ("csrf", token)]))
        #expect(WebminRunTests.result(off) == 0, "\(off.body)")
        #expect(!Posix.fileExists(s.root + BackupSchedule.cronFile))

        // Linked to a Hub: the index lists the account's backups.
        let hub = try FakeHub(
            records:
                #"[{"backup_id": "5", "address": "s3://s3.example/b/5", "description": "db server", "date_updated": "2026-11-28 09:00:00", "size": 4096, "skpp": false}]"#,
            directory: s.base)
        try hub.link(registry, backupID: "5")
        let index = try s.cgi("index.cgi")
        #expect(index.body.contains("id=\"daily\">off"), "\(index.body)")
        #expect(index.body.contains("#5 db server") && index.body.contains("restore.cgi?backup_id=5"), "\(index.body)")
        #expect(!index.body.contains(noBam), "a page tried to start bam: \(index.body)")

        // Webmin's action log names each action, never a secret.
        let log = s.read(s.varDir + "/webmin.log") ?? ""
        for action in ["init", "passphrase", "escrow", "schedule"] { #expect(log.contains("\"\(action)\""), "\(action): \(log)") }
        #expect(!log.contains("in process") && !log.contains("escrow pass"))
    }

    @Test("an operation's error is shown escaped with the exit code the CLI gives it")
    func errors() throws {
        let s = try WebminSandbox("inproc-errors")
        try s.configure(bamPath: s.base + "/no-such-bam")
        let token = try s.token()
        // Not initialised: the passphrase cannot change (exit 1, as `bam passphrase`).
        let uninitialised = try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", "x"), ("confirm", "x"), ("csrf", token)]))
        #expect(WebminRunTests.result(uninitialised) == Int(BamExitStatus.failure.rawValue), "\(uninitialised.body)")
        // A Hub that answers with markup: the page shows it as text, and the key is not changed.
        let hub = try FakeHub(records: "[]", directory: s.base)
        try hub.link(Registry(path: s.registry), backupID: "9")
        let refused = try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", "new"), ("confirm", "new"), ("csrf", token)]))
        #expect(WebminRunTests.result(refused) == Int(BamExitStatus.failure.rawValue), "\(refused.body)")
        #expect(refused.body.contains("&lt;b&gt;not html&lt;/b&gt; &amp; more") && !refused.body.contains("<b>not html"), "\(refused.body)")
        #expect(!(try KeyPacket.isPassphraseProtected(Registry(path: s.registry).loadKey())))
        // 'on' where nothing would run it: refused, nothing written.
        let on = try s.cgi("schedule.cgi", method: "POST", body: .form([("daily", "on"), ("csrf", token)]))
        #expect(WebminRunTests.result(on) == Int(BamExitStatus.failure.rawValue), "\(on.body)")
        #expect(!Posix.fileExists(s.root + BackupSchedule.cronFile))
    }
}
