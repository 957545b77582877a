import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The daily-backup switch on offline roots: never the host's own init.
@Suite struct BackupScheduleTests {
    @Test("without systemd a cron file at a fixed spread time turns it on, and off removes it")
    func cronFallback() throws {
        let tree = try TestTree("schedule-cron")
        try tree.file("usr/sbin/cron", "#!/bin/sh\n", mode: 0o755)
        let schedule = BackupSchedule(root: tree.root)
        #expect(schedule.status() == ScheduleStatus(enabled: false, method: .cron, path: "/etc/cron.d/bam-backup", strayCronFile: false))

        let on = try schedule.enable(delayMinutes: 135)
        #expect(on.enabled && on.method == .cron)
        let text = String(decoding: try Posix.readFile(tree.path("etc/cron.d/bam-backup")), as: UTF8.self)
        #expect(
            text.contains("\n15 2 * * * root command -v bam >/dev/null && mkdir -p /var/log/bam && bam backup --quiet >>/var/log/bam/backup.log 2>&1\n"),
            "\(text)")
        #expect(try Posix.lstat(Array(tree.path("etc/cron.d/bam-backup").utf8)).st_mode & 0o777 == 0o644)

        // With the packaged runner, cron runs that (it logs like the timer does).
        try tree.file("usr/lib/bam/scheduled-backup", "#!/bin/sh\n", mode: 0o755)
        try schedule.enable(delayMinutes: 0)
        #expect(
            String(decoding: try Posix.readFile(tree.path("etc/cron.d/bam-backup")), as: UTF8.self)
                .contains("\n0 0 * * * root test -x /usr/lib/bam/scheduled-backup && /usr/lib/bam/scheduled-backup\n"))

        #expect(throws: BamError.self) { try schedule.enable(delayMinutes: 180) }
        #expect(try schedule.disable().enabled == false)
        #expect(!Posix.fileExists(tree.path("etc/cron.d/bam-backup")))
        #expect(try schedule.disable().enabled == false)  // off twice is fine
    }

    @Test("with neither systemd nor a cron daemon 'on' is refused and writes nothing, unless forced")
    func nothingToRunIt() throws {
        let tree = try TestTree("schedule-none")
        let schedule = BackupSchedule(root: tree.root)
        #expect(schedule.status().nothingRunsIt)
        #expect(throws: BamError.self) { try schedule.enable(delayMinutes: 5) }
        #expect(!Posix.fileExists(tree.path("etc/cron.d/bam-backup")))
        let forced = try schedule.enable(delayMinutes: 5, force: true)
        #expect(forced.enabled && forced.nothingRunsIt)
        try tree.file("usr/sbin/crond", "#!/bin/sh\n", mode: 0o755)
        #expect(schedule.status() == ScheduleStatus(enabled: true, method: .cron, path: "/etc/cron.d/bam-backup", strayCronFile: false))
    }

    @Test("with systemd and the timer unit the wants-symlink turns it on, replacing an old cron file")
    func systemdTimer() throws {
        let tree = try TestTree("schedule-systemd")
        try tree.file("usr/bin/systemctl", "", mode: 0o755)
        let schedule = BackupSchedule(root: tree.root)
        #expect(schedule.method == .cron)  // systemd without bam's timer: cron
        try tree.file("lib/systemd/system/bam-backup.timer", "[Timer]\n")
        #expect(schedule.method == .systemd)
        try tree.file("etc/cron.d/bam-backup", "0 0 * * * root bam backup\n")
        #expect(schedule.status().strayCronFile)

        let on = try schedule.enable()
        #expect(on == ScheduleStatus(enabled: true, method: .systemd, path: BackupSchedule.wantsLink, strayCronFile: false))
        #expect(
            try Posix.readlink(Array(tree.path("etc/systemd/system/timers.target.wants/bam-backup.timer").utf8))
                == Array("/lib/systemd/system/bam-backup.timer".utf8))
        #expect(!Posix.fileExists(tree.path("etc/cron.d/bam-backup")))
        #expect(try schedule.enable().enabled)  // on twice is fine

        #expect(try schedule.disable().enabled == false)
        #expect(!Posix.fileExists(tree.path("etc/systemd/system/timers.target.wants/bam-backup.timer")))
    }
}
