import Foundation
import Testing
@testable import BamEngine

/// `bam schedule` as the Webmin module and scripts use it: JSON with
/// `enabled`, exit codes, and an offline root (never this machine's init).
@Suite struct ScheduleCommandTests {
    @Test("on, status and off on an offline root with systemd report the timer in JSON")
    func timerOnOffline() throws {
        let s = try CLISandbox("schedule")
        let root = s.path("root")
        try Posix.makeDirectories(root + "/usr/bin", mode: 0o755)
        try Posix.writeFileAtomically(root + "/usr/bin/systemctl", [], mode: 0o755)
        try Posix.makeDirectories(root + "/lib/systemd/system", mode: 0o755)
        try Posix.writeFileAtomically(root + "/lib/systemd/system/bam-backup.timer", Array("[Timer]\n".utf8), mode: 0o644)

        let before = try s.bam(["schedule", "status", "--root", root, "--json"])
        #expect(before.status == 0)
        #expect(try CLISandbox.json(before.stdout)["enabled"] as? Bool == false)

        let on = try s.bam(["schedule", "on", "--root", root, "--json"])
        let summary = try CLISandbox.json(on.stdout)
        #expect(summary["enabled"] as? Bool == true && summary["method"] as? String == "systemd", "\(on.stdout) \(on.stderr)")
        #expect(Posix.fileExists(root + "/etc/systemd/system/timers.target.wants/bam-backup.timer"))
        #expect(try s.bam(["schedule", "status", "--root", root]).stdout.contains("daily backup: on (systemd timer bam-backup.timer)"))

        let off = try s.bam(["schedule", "off", "--root", root, "--json"])
        #expect(try CLISandbox.json(off.stdout)["enabled"] as? Bool == false)
    }

    @Test("'on' in a root with neither systemd nor cron exits 1 and writes nothing; --force writes it with a warning")
    func nothingRunsIt() throws {
        let s = try CLISandbox("schedule-none")
        let root = s.path("root")
        try Posix.makeDirectories(root + "/etc", mode: 0o755)
        let refused = try s.bam(["schedule", "on", "--root", root])
        #expect(refused.status == 1 && refused.stderr.contains("nothing would run the daily backup"), "\(refused.stderr)")
        #expect(!Posix.fileExists(root + "/etc/cron.d/bam-backup"))
        let forced = try s.bam(["schedule", "on", "--root", root, "--force", "--json"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let summary = try CLISandbox.json(forced.stdout)
        #expect(summary["nothing_runs_it"] as? Bool == true)
        #expect((summary["warnings"] as? [String])?.first?.contains("no cron daemon") == true, "\(forced.stdout)")
        #expect(Posix.fileExists(root + "/etc/cron.d/bam-backup"))
    }

    @Test("a bad action or a relative root is a usage error that changes nothing")
    func usageErrors() throws {
        let s = try CLISandbox("schedule-usage")
        #expect(try s.bam(["schedule", "sometimes"]).status == 64)
        #expect(try s.bam(["schedule", "on", "--root", "relative/dir"]).status == 64)
        #expect(!Posix.fileExists(s.root + "/relative"))
    }
}
