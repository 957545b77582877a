import Foundation
import Testing
import BamEngine
@testable import BamWebmin
#if canImport(Glibc)
import Glibc
#endif

/// Every way a request can be refused, run against the built CGI program
/// with a recording stand-in for bam: the refused request starts no
/// command, writes no file and logs no action. Only restore-run.cgi and
/// rollback.cgi still run bam; every other page calls the engine in-process
/// and must never start it.
@Suite("Webmin module security", .serialized)
struct WebminSecurityTests {
    /// Records each call (argv, environment, stdin) and answers like bam would.
    static let fakeBam = """
        #!/bin/sh
        log="$(dirname "$0")/calls"
        { echo CALL; for a in "$@"; do printf 'ARG %s\\n' "$a"; done; env | sed 's/^/ENV /'; printf 'STDIN '; cat; echo; } >> "$log"
        echo "fake bam ran: $1"
        echo "<b>not html</b> & more"
        exit 0
        """

    static func sandbox(_ label: String) throws -> (WebminSandbox, String) {
        let base = try WebminSandbox("sec-\(label)")
        let fake = base.base + "/fakebin/bam"
        try base.write(fake, fakeBam, mode: 0o755)
        try base.configure(bamPath: fake)
        return (base, base.base + "/fakebin/calls")
    }

    /// Every call of the stand-in bam (no page reads through it any more:
    /// the index's schedule and Hub backups come from the engine in-process).
    static func bamCalls(_ log: String?) -> [String] {
        Array((log ?? "").components(separatedBy: "CALL\n").dropFirst())
    }

    static let actions: [(String, [(String, String)])] = [
        ("backup.cgi", [("mode", "backup")]),
        ("backup.cgi", [("mode", "simulate")]),
        ("restore-run.cgi", [("source", "registry")]),
        ("rollback.cgi", [("confirm", "yes")]),
        ("passphrase.cgi", [("passphrase", "secret-pass"), ("confirm", "secret-pass")]),
        ("escrow.cgi", [("protect", "none")]),
        ("options.cgi", [("volsize", "30")]),
        ("overrides.cgi", [("overrides", "/srv\n")]),
        ("init.cgi", [("mode", "solo"), ("target", "/tmp/bam-webmin-never")]),
        ("schedule.cgi", [("daily", "on")]),
    ]

    @Test("refused: no module access, foreign or missing Referer, missing or forged token, GET; nothing changes")
    func refusals() throws {
        let (s, calls) = try Self.sandbox("refuse")
        let token = try s.token()
        #expect(token.count == 64)
        for (script, fields) in Self.actions {
            let cases: [(String, () throws -> WebminSandbox.Response)] = [
                ("user without the module", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), user: "other") }),
                ("no user at all", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), user: nil) }),
                ("foreign Referer", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), referer: "http://evil.example/bam/") }),
                (
                    "same host, other port",
                    { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), referer: "http://127.0.0.1:8080/bam/") }
                ),
                ("no Referer", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), referer: .none) }),
                ("no token", { try s.cgi(script, method: "POST", body: .form(fields)) }),
                ("forged token", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", String(repeating: "0", count: 64))])) }),
                ("token of another session", { try s.cgi(script, method: "POST", body: .form(fields + [("csrf", token)]), sessionID: "fedcba9876543210") }),
                ("GET with the fields", { try s.cgi(script, query: WebminSandbox.urlencode(fields + [("csrf", token)])) }),
            ]
            for (label, request) in cases {
                let r = try request()
                let formOnly = label.hasPrefix("GET") && !r.refused
                #expect(r.refused || formOnly, "\(script), \(label): not refused:\n\(r.body.prefix(600))")
                if formOnly { #expect(!r.body.contains("id=\"result\""), "\(script) acted on GET") }
                #expect(r.headers["content-type"]?.hasPrefix("text/html") == true, "\(script), \(label)")
            }
        }
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "refused requests ran bam: \(Self.bamCalls(s.read(calls)))")
        #expect(!Posix.fileExists(s.conf + "/conf"))
        #expect(!Posix.fileExists(s.conf + "/overrides"))
        #expect(!Posix.fileExists(s.registry))
        #expect((s.read(s.varDir + "/webmin.log") ?? "").isEmpty, "refused requests were logged as actions")

        // Authentic's pjax posts the urlencoded form as text/plain: still no token, still refused.
        let plain = try s.cgi("backup.cgi", method: "POST", body: .raw("mode=backup", contentType: "text/plain;charset=UTF-8"))
        #expect(plain.refused)
        #expect(Self.bamCalls(s.read(calls)).isEmpty)
        #expect(Self.jobs(s) == 0, "refused requests started jobs")
        // The control: the same backup request, properly made, starts a job.
        let ok = try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)]))
        #expect(!ok.refused, "\(ok.body)")
        #expect(Self.jobs(s) == 1)
        _ = try WebminRunTests.finished(s, ok)
        let viaAuthentic = try s.cgi(
            "backup.cgi", method: "POST", body: .raw("mode=simulate&csrf=\(token)", contentType: "text/plain;charset=UTF-8"),
            extra: ["HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_X_PJAX": "true"])
        #expect(!viaAuthentic.refused, "\(viaAuthentic.body)")
        #expect(Self.jobs(s) == 2)
        _ = try WebminRunTests.finished(s, viaAuthentic)
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "backups run in-process, never through bam")
    }

    /// How many jobs the module has started.
    static func jobs(_ s: WebminSandbox) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: s.varDir + "/bam/jobs")) ?? []).filter(JobStore.isJobID).count
    }

    @Test("a user without the module is refused even the index, and gets no token")
    func indexAccess() throws {
        let (s, _) = try Self.sandbox("index")
        let r = try s.cgi("index.cgi", user: "other")
        #expect(r.refused && r.body.contains("not allowed to use the bam module"))
        #expect(r.csrf == nil || r.csrf == "")
        #expect(!Posix.fileExists(s.varDir + "/bam/csrf.secret"))
        // The index needs no Referer (Webmin trusts a module's index).
        #expect(try s.cgi("index.cgi", referer: .none).csrf?.count == 64)
        // `*` in webmin.acl grants every module.
        #expect(!(try s.cgi("index.cgi", user: "all").refused))
        // The per-user module ACL can take rights away.
        try s.write(s.etc + "/bam/admin.acl", "backup=0\nrestore=1\nconfigure=1\nescrow=1\n")
        let token = try s.token()
        let denied = try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)]))
        #expect(denied.refused && denied.body.contains("may not run backups"))
    }

    @Test("jobs and bam calls carry no SESSION_ID/REMOTE_PASS/cookies; secrets only on stdin or a pipe; output escaped; action logged")
    func processHygiene() throws {
        let (s, calls) = try Self.sandbox("hygiene")
        let token = try s.token()
        // A job runs in-process, never through bam; Webmin's session secrets
        // reach no job file, and what it shows (a file name) is escaped.
        try WebminRunTests.populate(s.root)
        try s.write(s.root + "/srv/<b>not html</b> & more", "x\n")
        try s.write(s.conf + "/conf", "force-profile empty\n")
        let r = try WebminRunTests.finished(
            s,
            try s.cgi(
                "backup.cgi", method: "POST", body: .form([("mode", "simulate"), ("csrf", token)]),
                extra: ["HTTP_COOKIE": "sid=abc", "REMOTE_PASS": "webmin-login-password"]))
        #expect(WebminRunTests.result(r) == 0, "\(r.body)")
        #expect(r.body.contains("&lt;b&gt;not html&lt;/b&gt; &amp; more"), "\(r.body)")
        #expect(!r.body.contains("<b>not html"))
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "the backup page ran bam")
        let jobs = s.varDir + "/bam/jobs"
        for name in FileManager.default.subpaths(atPath: jobs) ?? [] {
            let text = s.read(jobs + "/" + name) ?? ""
            #expect(!text.contains("webmin-login-password") && !text.contains("sid=abc"), "\(name)")
        }

        // The new passphrase is used in-process: bam is not started, and the
        // passphrase is in no argv, log line or page.
        try Data().write(to: URL(fileURLWithPath: calls))
        let registry = Registry(path: s.registry)
        try registry.saveKey(try KeyPacket.seal(secret: registry.initialise(force: false), passphrase: "", format: .v2))
        let changed = try s.cgi(
            "passphrase.cgi", method: "POST", body: .form([("passphrase", "p4ss --force word"), ("confirm", "p4ss --force word"), ("csrf", token)]))
        #expect(WebminRunTests.result(changed) == 0, "\(changed.body)")
        #expect(try KeyPacket.open(registry.loadKey(), passphrase: "p4ss --force word").bytes == registry.loadSecret().bytes)
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "the passphrase page ran bam: \(Self.bamCalls(s.read(calls)))")
        #expect(!changed.body.contains("p4ss"))

        // Webmin's action log line, in webmin_log's format.
        let webminLog = s.read(s.varDir + "/webmin.log") ?? ""
        #expect(webminLog.contains(" [") && webminLog.contains("] admin 0123456789abcdef 127.0.0.1 bam backup.cgi \"simulate\" \"backup\""), "\(webminLog)")
        #expect(!webminLog.contains("p4ss"))
    }

    @Test("typed inputs: bad times, ids, limits and paths are refused before anything runs")
    func validation() throws {
        let (s, calls) = try Self.sandbox("validate")
        let token = try s.token()
        let bad: [[(String, String)]] = [
            [("time", "now; rm -rf /")],
            [("time", "--force")],
            // Once a trap in the engine's age parser (overflow), now a refusal.
            [("time", "99999999999999999Y")],
            [("backup_id", "1 --force")],
            [("backup_id", "-1")],
            [("limits", "/srv /etc")],
            [("limits", "--root=/")],
            [("passphrase", "two\nlines")],
        ]
        for fields in bad {
            let r = try s.cgi("restore-run.cgi", method: "POST", body: .form(fields + [("csrf", token)]))
            #expect(r.refused && r.body.contains("invalid input"), "\(fields): \(r.body.prefix(400))")
        }
        let badTarget = try s.cgi("init.cgi", method: "POST", body: .form([("mode", "solo"), ("target", "/srv/../etc"), ("csrf", token)]))
        #expect(badTarget.body.contains("id=\"error\""))
        let badKey = try s.cgi("init.cgi", method: "POST", body: .form([("mode", "hub"), ("apikey", "--solo"), ("csrf", token)]))
        #expect(badKey.body.contains("id=\"error\""))
        let badOption = try s.cgi("options.cgi", method: "POST", body: .form([("volsize", "many"), ("full-backup", "1M"), ("csrf", token)]))
        #expect(badOption.body.contains("data-field=\"volsize\""))
        #expect(!badOption.body.contains("data-field=\"full-backup\""))
        #expect(!Posix.fileExists(s.conf + "/conf"))
        // Values whose seconds or bytes overflow: once saved, they trapped every later backup.
        for (field, value) in [
            ("full-backup", "999999999999999999M"), ("restore-cache-size", "9007199254740992GB"), ("volsize", "99999999999"),
            ("keep-full", "0"), ("keep-full", "99999999999999999999"), ("keep-within", "now"), ("keep-within", "999999999999999999M"),
        ] {
            let overflowing = try s.cgi("options.cgi", method: "POST", body: .form([(field, value), ("csrf", token)]))
            #expect(overflowing.body.contains("data-field=\"\(field)\""), "\(field): \(overflowing.body.prefix(400))")
            #expect(!Posix.fileExists(s.conf + "/conf"))
        }
        let badOverrides = try s.cgi("overrides.cgi", method: "POST", body: .form([("overrides", "/srv\nrelative/path\n"), ("csrf", token)]))
        #expect(badOverrides.body.contains("overrides:2"))
        #expect(!Posix.fileExists(s.conf + "/overrides"))
        #expect(Self.bamCalls(s.read(calls)).isEmpty)
    }

    @Test("every page is well-formed HTML in the Webmin/Authentic layout")
    func wellFormed() throws {
        let (s, _) = try Self.sandbox("html")
        try s.write(s.registry + "/secret", "not a real secret\n", mode: 0o600)  // "initialised": the index offers Run Backup
        try s.write(s.etc + "/bam/admin.acl", "backup=1\nrestore=1\nconfigure=1\nescrow=1\n")
        let token = try s.token()
        var responses: [(String, WebminSandbox.Response)] = []
        for page in ["index.cgi", "init.cgi", "restore.cgi", "rollback.cgi", "passphrase.cgi", "escrow.cgi", "options.cgi", "overrides.cgi", "profile.cgi"] {
            responses.append((page, try s.cgi(page)))
            responses.append((page + " (Authentic XHR, empty POST)", try s.cgi(page, method: "POST", extra: ["HTTP_X_REQUESTED_WITH": "XMLHttpRequest"])))
        }
        responses.append(("restore.cgi?backup_id=7", try s.cgi("restore.cgi", query: "backup_id=7")))
        responses.append(("backup run", try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup"), ("csrf", token)]))))
        responses.append(("refusal", try s.cgi("backup.cgi", method: "POST", body: .form([("mode", "backup")]))))
        // A page name the program does not know (say, a stale symlink).
        _ = symlink("bam-webmin", s.moduleDir + "/nope.cgi")
        responses.append(("no such page", try s.cgi("nope.cgi")))
        responses.append(
            ("empty passphrase", try s.cgi("passphrase.cgi", method: "POST", body: .form([("passphrase", ""), ("confirm", ""), ("csrf", token)]))))
        for (label, r) in responses {
            let problem = try WebminSandbox.wellFormedProblem(r.body)
            #expect(problem == nil, "\(label): \(problem ?? "")\n\(r.body)")
            #expect(r.body.contains("<head>") && r.body.contains("<title>") && r.body.contains("data-dcontainer=\"1\""), "\(label)")
            #expect(r.body.contains("data-main_title"), "\(label)")
        }
        #expect(responses[0].1.body.contains("Run Backup") && responses[0].1.body.contains("Run Simulation"))
        // Authentic's XHR gets X-PJAX-URL; a reload with xnavigation=1 goes back to the shell.
        #expect(try s.cgi("options.cgi", extra: ["HTTP_X_REQUESTED_WITH": "XMLHttpRequest"]).headers["x-pjax-url"] == "/bam/options.cgi")
        #expect(try s.cgi("options.cgi", query: "xnavigation=1").headers["location"] == "/")
        #expect(responses[0].1.headers["x-frame-options"] == "SAMEORIGIN")
        #expect(responses.first { $0.0 == "empty passphrase" }?.1.body.contains("confirm_empty") == true)
    }

    @Test("Hub backups (bam list --json) are listed, and restoring one starts a job with the typed request")
    func hubBackups() throws {
        let (s, calls) = try Self.sandbox("hub")
        let hub = try FakeHub(
            records:
                #"{"records": [{"backup_id": "3", "address": "s3://s3.example/b/3", "description": "web <server>", "date_updated": "2026-11-27 10:00:00", "size": 2048, "turnkey_version": "debian-12", "skpp": true}, {"backup_id": "x; rm", "address": "s3://s3.example/b/x", "description": "odd"}]}"#,
            directory: s.base)
        try hub.link(Registry(path: s.registry), backupID: "3")
        let index = try s.cgi("index.cgi")
        #expect(index.body.contains("#3 web &lt;server&gt; (passphrase)"), "\(index.body)")
        #expect(index.body.contains("restore.cgi?backup_id=3") && index.body.contains("2.0 KiB"))
        #expect(!index.body.contains("x; rm"))
        #expect(try WebminSandbox.wellFormedProblem(index.body) == nil)
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "the index ran bam")
        let form = try s.cgi("restore.cgi", query: "backup_id=3")
        #expect(form.body.contains("Hub backup #3"))
        #expect(try s.cgi("restore.cgi", query: "backup_id=3%3Brm").refused)
        let token = try s.token()
        let run = try s.cgi(
            "restore-run.cgi", method: "POST",
            body: .form([
                ("backup_id", "3"), ("time", "2026-11-27T10:00:00"), ("skip_packages", "1"), ("limits", "/srv\n-/srv/cache\nmysql:shop"),
                ("passphrase", "hub key pass"), ("csrf", token),
            ]))
        #expect(!run.refused, "\(run.body)")
        #expect(Self.bamCalls(s.read(calls)).isEmpty, "the restore ran in-process")
        // The typed request the job runs; the passphrase is in no job file.
        let job = try #require(JobStore(stateDirectory: s.varDir + "/bam").all().first)
        let request = String(decoding: try Posix.readFile(job.path + "/request.json"), as: UTF8.self)
        let decoded = try JSONDecoder().decode(JobRequest.self, from: Data(request.utf8))
        guard case .restore(let restore) = decoded else { Issue.record("not a restore job: \(request)"); return }
        #expect(restore.backupID == "3" && restore.time == "2026-11-27T10:00:00" && restore.skipPackages && !restore.skipFiles)
        #expect(restore.limits == ["/srv", "-/srv/cache", "mysql:shop"] && restore.root == s.root && restore.confDirectory == s.conf)
        _ = try WebminRunTests.finished(s, run)
        for name in FileManager.default.subpaths(atPath: job.path) ?? [] {
            #expect(!(s.read(job.path + "/" + name) ?? "").contains("hub key pass"), "\(name) holds the passphrase")
        }
    }
}
