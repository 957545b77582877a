import Foundation
import Testing
import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Backup, restore, rollback, passphrase and escrow through the CGI
/// programs with the real bam, against a file:// target and throwaway
/// roots, compared with the same operations run from the CLI.
@Suite("Webmin module runs bam", .serialized)
struct WebminRunTests {
    static func populate(_ root: String) throws {
        func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
            try Posix.makeDirectories((root + path as NSString).deletingLastPathComponent, mode: 0o755)
            try Posix.writeFileAtomically(root + path, Array(text.utf8), mode: mode)
        }
        try write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        try write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
        try write("/etc/group", "root:x:0:\ndaemon:x:1:\n")
        try write("/etc/shadow", "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n", mode: 0o640)
        try write("/etc/gshadow", "root:*::\ndaemon:*::\n", mode: 0o640)
        try write("/etc/app.conf", "setting = 1\n")
        try write("/srv/data/readme", "data\n")
        try Posix.makeDirectories(root + "/var/backups", mode: 0o755)
    }

    /// path -> kind, mode and content of every entry, minus the rollback store.
    static func snapshot(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            if relative.hasPrefix("var/backups/bam-rollback") { continue }
            let full = root + "/" + relative
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            var line = String(st.st_mode, radix: 8) + " \(st.st_uid):\(st.st_gid)"
            if (st.st_mode & S_IFMT) == S_IFREG { line += " " + String(decoding: try Posix.readFile(full), as: UTF8.self) }
            result[relative] = line
        }
        return result
    }

    /// The job page a POST started, once its job has ended (it runs on
    /// after the CGI that started it exited).
    static func finished(_ s: WebminSandbox, _ started: WebminSandbox.Response) throws -> WebminSandbox.Response {
        guard let range = started.body.range(of: "id=\"job\" data-id=\"") else { return started }
        let id = String(started.body[range.upperBound...].prefix { $0 != "\"" })
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let page = try s.cgi("job.cgi", query: "id=" + id)
            if page.body.contains("data-state=\"finished\"") { return page }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw BamError.external("job \(id) did not finish in 300 s")
    }

    static func result(_ r: WebminSandbox.Response) -> Int? {
        guard let range = r.body.range(of: "id=\"result\" data-status=\"") else { return nil }
        return Int(r.body[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("init, backup, simulate, restore, rollback through the CGI programs match the CLI")
    func roundTrip() throws {
        let s = try WebminSandbox("run")
        let src = s.base + "/src", viaCGI = s.base + "/cgi-target", viaCLI = s.base + "/cli-target"
        for r in [src, viaCGI, viaCLI] { try Self.populate(r) }
        let pristine = try Self.snapshot(viaCGI)
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: src)
        var token = try s.token()

        // Solo init with a local target.
        let initialised = try s.cgi("init.cgi", method: "POST", body: .form([("mode", "solo"), ("target", s.target), ("csrf", token)]))
        #expect(Self.result(initialised) == 0, "\(initialised.body)")
        #expect(try RegistryBackupAddress.load(Registry(path: s.registry)) == "file://" + s.target)
        // The profile of the pristine install, then the admin's changes.
        try Posix.makeDirectories(s.registry + "/profile", mode: 0o755)
        _ = try ProfileCreator(root: src, conf: try DirIndexConf.parse("/etc\n-/etc/passwd*\n-/etc/group*\n/srv\n", file: "test"))
            .create(in: s.registry + "/profile")
        try Posix.writeFileAtomically(src + "/etc/app.conf", Array("setting = 2\n".utf8), mode: 0o600)
        try Posix.writeFileAtomically(src + "/srv/data/new.txt", Array("new data <&>\n".utf8), mode: 0o640)

        let profile = try s.cgi("profile.cgi")
        #expect(profile.body.contains("id=\"dirindex\""))

        token = try s.token()
        let simulation = try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "simulate"), ("csrf", token)])))
        #expect(Self.result(simulation) == 0, "\(simulation.body)")
        #expect(simulation.body.contains("/srv/data/new.txt") && simulation.body.contains("simulation: nothing was stored"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.target)) ?? []).isEmpty)

        let backup = try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)])))
        #expect(Self.result(backup) == 0, "\(backup.body)")
        #expect(backup.body.contains("full backup"))
        let index = try s.cgi("index.cgi")
        #expect(!index.body.contains("id=\"last-backup\">none found"), "\(index.body)")

        // Restore through the CGI onto one copy, with the CLI onto another.
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: viaCGI)
        let restore = try Self.finished(
            s, try s.cgi("restore-run.cgi", method: "POST", body: .form([("source", "registry"), ("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(restore) == 0, "\(restore.body)")
        let cli = try s.bam(["restore", "--root", viaCLI, "--conf-dir", s.conf])
        #expect(cli.status == 0, "\(cli.output)")
        #expect(s.read(viaCGI + "/srv/data/new.txt") == "new data <&>\n")
        #expect(try Self.snapshot(viaCGI) == Self.snapshot(viaCLI))
        #expect(try s.cgi("index.cgi").body.contains("id=\"rollback-section\""))

        // Roll back both.
        let confirm = try s.cgi("rollback.cgi")
        #expect(confirm.body.contains("id=\"rollback-form\""))
        let notConfirmed = try s.cgi("rollback.cgi", method: "POST", body: .form([("csrf", token)]))
        #expect(notConfirmed.refused)
        let rollback = try Self.finished(s, try s.cgi("rollback.cgi", method: "POST", body: .form([("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(rollback) == 0, "\(rollback.body)")
        let cliRollback = try s.bam(["restore-rollback", "--root", viaCLI])
        #expect(cliRollback.status == 0, "\(cliRollback.output)")
        #expect(try Self.snapshot(viaCGI) == Self.snapshot(viaCLI))
        #expect(try Self.snapshot(viaCGI) == pristine)
        #expect(!(try s.cgi("index.cgi").body.contains("id=\"rollback-section\"")))
    }

    /// A backup started from the page runs in-process in its own session:
    /// no bam binary exists, the POST answers while the backup still runs,
    /// the index shows it running, a second start is refused, its hook
    /// sees none of Webmin's secrets, and the next visit shows its result.
    @Test("a backup job outlives its request, in its own session, without a bam binary; progress and result on the next visit")
    func backupJob() throws {
        let s = try WebminSandbox("job")
        let src = s.base + "/src"
        try Self.populate(src)
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: src)
        #expect(try s.bam(["init", "--solo"]).status == 0)
        try RegistryBackupAddress.save("file://" + s.target, in: Registry(path: s.registry))
        try Posix.makeDirectories(s.registry + "/profile", mode: 0o755)
        _ = try ProfileCreator(root: src, conf: try DirIndexConf.parse("/etc\n-/etc/passwd*\n-/etc/group*\n/srv\n", file: "test"))
            .create(in: s.registry + "/profile")
        try Posix.writeFileAtomically(src + "/srv/data/new.txt", Array("new\n".utf8), mode: 0o644)
        // A hook that records its environment and session, then takes its time.
        let seen = s.base + "/hook"
        try s.write(
            s.conf + "/hooks.d/10-record",
            """
            #!/bin/sh
            if [ "$2" = pre ]; then env > \(seen).env; ps -o sid= -p $$ > \(seen).sid; sleep 3; fi
            exit 0
            """, mode: 0o755)
        try s.configure(bamPath: s.base + "/no-such-bam", root: src)
        let token = try s.token()

        let started = Date()
        let response = try s.cgi(
            "backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)]),
            extra: ["HTTP_COOKIE": "sid=abc", "REMOTE_PASS": "webmin-login-password"])
        #expect(Date().timeIntervalSince(started) < 2.5, "the page answers before the backup is done")
        #expect(response.body.contains("data-state=\"running\""), "\(response.body)")
        let index = try s.cgi("index.cgi")
        #expect(index.body.contains("id=\"running-job\""), "\(index.body)")
        let second = try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)]))
        #expect(second.refused && second.body.contains("still running"), "\(second.body)")

        let done = try Self.finished(s, response)
        #expect(Self.result(done) == 0, "\(done.body)")
        #expect(done.body.contains("full backup") && done.body.contains("id=\"job-volumes\">1<"), "\(done.body)")
        // The log said up front how many bytes the backup reads: what the
        // page's percentage and time left count against.
        let logs = FileManager.default.enumerator(atPath: s.base)?.compactMap { $0 as? String }.filter { $0.hasSuffix("events.jsonl") } ?? []
        let expected = logs.flatMap { (s.read(s.base + "/" + $0) ?? "").split(separator: "\n") }.filter { $0.contains("\"kind\":\"expected\"") }
        #expect(expected.count == 1 && expected[0].contains("\"expectedBytes\":"), "\(logs) \(expected)")
        let environment = s.read(seen + ".env") ?? ""
        #expect(environment.contains("BAM_ROOT=\(src)"))
        for secret in ["SESSION_ID=", "REMOTE_PASS=", "HTTP_COOKIE=", "webmin-login-password"] {
            #expect(!environment.contains(secret), "the job's hook saw \(secret)")
        }
        let hookSession = Int32((s.read(seen + ".sid") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(hookSession != 0 && hookSession != getsid(0), "the job runs in a session of its own")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.target)) ?? []).contains { $0.hasSuffix(".manifest.gpg") })

        // The index lists the finished run with its outcome and a link.
        let after = try s.cgi("index.cgi")
        #expect(!after.body.contains("id=\"running-job\""))
        #expect(after.body.contains("id=\"last-jobs\"") && after.body.contains("job.cgi?id="), "\(after.body)")
        // A job id the store did not make is no path.
        #expect(try s.cgi("job.cgi", query: "id=../../etc").refused)
    }

    /// The restore page lists the sessions; a whole-system restore shows
    /// its plan and runs only once confirmed; one path of a chosen time
    /// restores into a chosen directory.
    @Test("restore from the browser: sessions listed, the plan before the restore, one path into a directory")
    func restoreChoices() throws {
        let s = try WebminSandbox("choices")
        let src = s.base + "/src", dst = s.base + "/dst"
        for r in [src, dst] { try Self.populate(r) }
        try s.configure(bamPath: s.base + "/no-such-bam", root: src)
        #expect(try s.bam(["init", "--solo"]).status == 0)
        try RegistryBackupAddress.save("file://" + s.target, in: Registry(path: s.registry))
        try s.write(s.conf + "/conf", "force-profile empty\n")
        let token = try s.token()
        #expect(Self.result(try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)])))) == 0)
        let firstState = s.read(src + "/srv/data/readme")
        sleep(1)
        try s.write(src + "/srv/data/readme", "changed later\n")
        #expect(Self.result(try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)])))) == 0)

        let form = try s.cgi("restore.cgi")
        #expect(form.body.contains("id=\"sessions\""), "\(form.body)")
        let times = form.body.components(separatedBy: "<td><code>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(times.count == 2, "\(times)")
        #expect(form.body.contains(">full<") && form.body.contains(">incremental<"))

        // The plan first: nothing changes on the target until confirmed.
        try s.configure(bamPath: s.base + "/no-such-bam", root: dst)
        let plan = try Self.finished(s, try s.cgi("restore-run.cgi", method: "POST", body: .form([("source", "registry"), ("csrf", token)])))
        #expect(Self.result(plan) == 0, "\(plan.body)")
        #expect(plan.body.contains("simulation: nothing was changed") && plan.body.contains("id=\"confirm-form\""), "\(plan.body)")
        #expect(s.read(dst + "/srv/data/readme") == "data\n" && !RollbackStore(root: dst).exists)
        let confirmFields = plan.body.components(separatedBy: "id=\"confirm-form\"")[1].components(separatedBy: "</form>")[0]
        #expect(confirmFields.contains("name=\"confirm\" value=\"yes\""))
        let restored = try Self.finished(s, try s.cgi("restore-run.cgi", method: "POST", body: .form([("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(restored) == 0, "\(restored.body)")
        #expect(s.read(dst + "/srv/data/readme") == "changed later\n" && RollbackStore(root: dst).exists)

        // One path, as of the first session, into a directory: the system stays.
        let into = s.base + "/restored"
        let files = try Self.finished(
            s,
            try s.cgi(
                "restore-run.cgi", method: "POST",
                body: .form([
                    ("mode", "files"), ("path", "srv/data"), ("destination", into), ("time", times[1]), ("csrf", token),
                ])))
        #expect(Self.result(files) == 0, "\(files.body)")
        #expect(s.read(into + "/readme") == firstState)
        #expect(s.read(dst + "/srv/data/readme") == "changed later\n")
        // A destination with '..' is refused before anything runs.
        #expect(
            try s.cgi(
                "restore-run.cgi", method: "POST",
                body: .form([
                    ("mode", "files"), ("path", "srv"), ("destination", s.base + "/../x"), ("csrf", token),
                ])
            ).refused)
    }

    @Test("escrow key download, restore with the uploaded key: wrong passphrase re-asks, right one restores; key file removed")
    func escrowRestore() throws {
        let s = try WebminSandbox("escrow")
        let src = s.base + "/src", dst = s.base + "/dst"
        for r in [src, dst] { try Self.populate(r) }
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: src)
        #expect(try s.bam(["init", "--solo"]).status == 0)
        try s.write(s.conf + "/conf", "force-profile empty\n")
        let token = try s.token()
        let backup = try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)])))
        #expect(Self.result(backup) != 0, "no address yet: the backup must fail")
        try RegistryBackupAddress.save("file://" + s.target, in: Registry(path: s.registry))
        #expect(Self.result(try Self.finished(s, try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)])))) == 0)

        // Mismatched and empty escrow passphrases are refused; then download.
        let mismatch = try s.cgi(
            "escrow.cgi", method: "POST", body: .form([("protect", "passphrase"), ("passphrase", "a"), ("confirm", "b"), ("csrf", token)]))
        #expect(mismatch.body.contains("id=\"error\""))
        let download = try s.cgi(
            "escrow.cgi", method: "POST", body: .form([("protect", "passphrase"), ("passphrase", "escrow pass"), ("confirm", "escrow pass"), ("csrf", token)]))
        #expect(download.headers["content-type"] == "application/octet-stream")
        #expect(download.headers["content-disposition"]?.contains("bam-escrow.key") == true)
        let key = download.body.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try KeyPacket.isPassphraseProtected(key))

        // A restore with the key and a wrong passphrase: exit 11, re-ask form carrying the key (not the passphrase).
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: dst)
        let wrong = try Self.finished(
            s,
            try s.cgi(
                "restore-run.cgi", method: "POST",
                body: .multipart(
                    [("source", "registry"), ("passphrase", "nope"), ("csrf", token)],
                    file: ("keyfile", "bam-escrow.key", Array(download.body.utf8)))))
        #expect(Self.result(wrong) == 11, "\(wrong.body)")
        #expect(wrong.body.contains("id=\"reask-form\"") && wrong.body.contains("name=\"keydata\""))
        #expect(!wrong.body.contains("nope"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.varDir + "/bam/uploads")) ?? []).isEmpty, "uploaded key left behind")
        // The re-ask form's fields with the right passphrase.
        let right = try Self.finished(
            s,
            try s.cgi("restore-run.cgi", method: "POST", body: .form([("keydata", key), ("passphrase", "escrow pass"), ("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(right) == 0, "\(right.body)")
        #expect(s.read(dst + "/srv/data/readme") == "data\n")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.varDir + "/bam/uploads")) ?? []).isEmpty)
        // The passphrases reached the jobs through a pipe: no job file holds them.
        let jobs = s.varDir + "/bam/jobs"
        for name in (FileManager.default.subpaths(atPath: jobs) ?? []) {
            let text = s.read(jobs + "/" + name) ?? ""
            #expect(!text.contains("escrow pass") && !text.contains("nope"), "\(name) holds a passphrase")
            if name.hasSuffix(".json") || name.hasSuffix(".jsonl") { #expect(WebminSandbox.mode(jobs + "/" + name) == 0o600, "\(name)") }
        }

        // Another appliance type (Debian 11): exit 10 and a confirmation form; confirmed, it restores.
        let other = s.base + "/other"
        try Self.populate(other)
        try Posix.writeFileAtomically(other + "/etc/os-release", Array("ID=debian\nVERSION_ID=\"11\"\n".utf8), mode: 0o644)
        try s.configure(bamPath: try WebminSandbox.binary("bam"), root: other)
        let refused = try Self.finished(
            s, try s.cgi("restore-run.cgi", method: "POST", body: .form([("source", "registry"), ("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(refused) == 10, "\(refused.body)")
        #expect(refused.body.contains("id=\"force-form\"") && refused.body.contains("name=\"force\" value=\"yes\""))
        #expect(!RollbackStore(root: other).exists, "the refused restore changed nothing, so saved no rollback store")
        let forced = try Self.finished(s, try s.cgi("restore-run.cgi", method: "POST", body: .form([("force", "yes"), ("confirm", "yes"), ("csrf", token)])))
        #expect(Self.result(forced) == 0, "\(forced.body)")
        #expect(RollbackStore(root: other).exists)

        // Passphrase change: the registry key becomes protected; empty needs confirmation.
        let changed = try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", "new one"), ("confirm", "new one"), ("csrf", token)]))
        #expect(Self.result(changed) == 0, "\(changed.body)")
        #expect(try KeyPacket.isPassphraseProtected(Registry(path: s.registry).loadKey()))
        let empty = try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", ""), ("confirm", ""), ("csrf", token)]))
        #expect(Self.result(empty) == nil && empty.body.contains("confirm_empty"))
        #expect(try KeyPacket.isPassphraseProtected(Registry(path: s.registry).loadKey()))
        let cleared = try s.cgi(
            "passphrase.cgi", method: "POST", body: .form([("passphrase", ""), ("confirm", ""), ("confirm_empty", "yes"), ("csrf", token)]))
        #expect(Self.result(cleared) == 0, "\(cleared.body)")
        #expect(!(try KeyPacket.isPassphraseProtected(Registry(path: s.registry).loadKey())))

        // Options and overrides are saved when valid.
        let saved = try s.cgi(
            "options.cgi", method: "POST",
            body: .form([
                ("volsize", "10"), ("full-backup", "2W"), ("keep-full", "3"), ("keep-within", "2M"), ("force-profile", "empty"),
                ("backup-skip-packages", "1"), ("csrf", token),
            ]))
        #expect(saved.body.contains("id=\"notice\""), "\(saved.body)")
        let conf = try BamConf.load(confDirectory: s.conf)
        #expect(conf.volsize == 10 && conf.backupSkipPackages && conf.forceProfile == "empty")
        #expect(conf.retention == RetentionPolicy(keepFull: 3, keepWithin: .olderThan(count: 2, unit: .month)))
        let shown = try s.cgi("options.cgi")
        #expect(shown.body.contains("id=\"keep-full\" name=\"keep-full\" value=\"3\""), "\(shown.body)")
        let overrides = try s.cgi("overrides.cgi", method: "POST", body: .form([("overrides", "-/srv/cache\nmysql:shop\n"), ("csrf", token)]))
        #expect(overrides.body.contains("id=\"notice\""))
        #expect(try Overrides.load(confDirectory: s.conf).lines == ["-/srv/cache", "mysql:shop"])
    }
}
