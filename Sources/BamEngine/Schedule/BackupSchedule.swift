import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The daily backup: on, off, or asked about, for a system root.
///
/// Where systemd is installed (the root has `systemctl` and bam's
/// `bam-backup.timer` unit) the timer is enabled by its wants-symlink, the
/// way `systemctl enable` does it; on a running systemd (`/` booted with
/// systemd) `systemctl enable --now` does it so the timer also starts now.
/// Without systemd a cron file is written instead (cron reads
/// /etc/cron.d itself). Turning it off removes both, so a root whose init
/// changed since never runs two backups a day. A root with neither
/// systemd nor a cron daemon has nothing that would run the backup:
/// turning it on there is refused unless forced.
public struct BackupSchedule {
    public static let timerUnit = "bam-backup.timer"
    /// Where packages put units (bookworm and later), first match wins.
    public static let unitDirectories = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
    public static let wantsLink = "/etc/systemd/system/timers.target.wants/" + timerUnit
    public static let cronFile = "/etc/cron.d/bam-backup"
    /// Daemons that read /etc/cron.d (Debian's cron, cronie, busybox's).
    public static let cronDaemons = ["/usr/sbin/cron", "/usr/sbin/crond", "/usr/sbin/busybox-crond"]
    /// The packaged runner: `bam backup`, logged to the journal (stdout)
    /// and appended to /var/log/bam/backup.log.
    public static let runner = "/usr/lib/bam/scheduled-backup"
    /// The cron fallback's spread of start times after midnight, like the
    /// timer's RandomizedDelaySec, so that many servers do not start at once.
    public static let spreadMinutes = 180

    /// The directory that stands for `/`.
    public let root: String
    /// Runs systemctl on a live system; replaceable so tests never touch the host's init.
    var runSystemctl: ([String]) throws -> Void

    public init(root: String) {
        self.root = root
        self.runSystemctl = { arguments in _ = try ProcessRunner.check(["systemctl"] + arguments) }
    }

    /// systemd when the root has systemctl and bam's timer unit, else cron.
    public var method: ScheduleMethod {
        let hasSystemctl = ["/usr/bin/systemctl", "/bin/systemctl"].contains { Posix.fileExists(inRoot($0)) }
        return hasSystemctl && timerUnitPath != nil ? .systemd : .cron
    }

    /// Whether the root has a daemon that reads /etc/cron.d.
    public var hasCronDaemon: Bool { Self.cronDaemons.contains { Posix.fileExists(inRoot($0)) } }

    public func status() -> ScheduleStatus {
        let timerEnabled = Posix.fileExists(inRoot(Self.wantsLink))
        let cronEnabled = Posix.fileExists(inRoot(Self.cronFile))
        switch method {
        case .systemd:
            return ScheduleStatus(enabled: timerEnabled, method: .systemd, path: Self.wantsLink, strayCronFile: cronEnabled)
        case .cron:
            return ScheduleStatus(
                enabled: cronEnabled, method: .cron, path: Self.cronFile, strayCronFile: false,
                nothingRunsIt: !hasCronDaemon)
        }
    }

    /// Turns the daily backup on. `delayMinutes` fixes the cron fallback's
    /// start time after midnight (tests); nil picks one at random. Without
    /// systemd or a cron daemon it is refused unless `force`.
    @discardableResult
    public func enable(delayMinutes: Int? = nil, force: Bool = false) throws -> ScheduleStatus {
        switch method {
        case .systemd:
            try removeIfPresent(Self.cronFile)
            if isLiveSystemd {
                try runSystemctl(["enable", "--now", Self.timerUnit])
            } else {
                let link = inRoot(Self.wantsLink)
                try Posix.makeDirectories(parent(of: link), mode: 0o755)
                try removeIfPresent(Self.wantsLink)
                if symlink(timerUnitPath!, link) != 0 { throw BamError.io(path: link, operation: "symlink", errno: errno) }
            }
        case .cron:
            guard hasCronDaemon || force else {
                throw BamError.invalid(
                    "\(root) has neither systemd (systemctl and \(Self.timerUnit)) nor a cron daemon (\(Self.cronDaemons.joined(separator: ", "))): nothing would run the daily backup; install cron, or use --force to write \(Self.cronFile) all the same"
                )
            }
            let delay = delayMinutes ?? Int.random(in: 0..<Self.spreadMinutes)
            guard (0..<Self.spreadMinutes).contains(delay) else {
                throw BamError.invalid("schedule delay must be 0-\(Self.spreadMinutes - 1) minutes, got \(delay)")
            }
            let file = inRoot(Self.cronFile)
            try Posix.makeDirectories(parent(of: file), mode: 0o755)
            try Posix.writeFileAtomically(file, Array(cronText(delayMinutes: delay).utf8), mode: 0o644)
        }
        return status()
    }

    /// Turns the daily backup off (both ways; a missing one is fine).
    @discardableResult
    public func disable() throws -> ScheduleStatus {
        if method == .systemd && isLiveSystemd {
            try runSystemctl(["disable", "--now", Self.timerUnit])
        }
        try removeIfPresent(Self.wantsLink)
        try removeIfPresent(Self.cronFile)
        return status()
    }

    /// The cron.d file: one line at a fixed time per server.
    func cronText(delayMinutes: Int) -> String {
        // Guarded like Debian's cron.d files: a removed (not purged) bam
        // leaves a line that does nothing.
        let command =
            Posix.fileExists(inRoot(Self.runner))
            ? "test -x \(Self.runner) && \(Self.runner)"
            : "command -v bam >/dev/null && mkdir -p /var/log/bam && bam backup --quiet >>/var/log/bam/backup.log 2>&1"
        return """
            # The daily backup, written by 'bam schedule on' (systemd is not installed);
            # 'bam schedule off' removes it. The time is picked at random per server.
            SHELL=/bin/sh
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            \(delayMinutes % 60) \(delayMinutes / 60) * * * root \(command)

            """
    }

    /// The timer unit as seen inside the root, if installed.
    var timerUnitPath: String? {
        Self.unitDirectories.map { $0 + "/" + Self.timerUnit }.first { Posix.fileExists(inRoot($0)) }
    }

    /// `/` booted with systemd: changes go through systemctl so they take effect now.
    var isLiveSystemd: Bool {
        isHostRoot && Posix.fileExists("/run/systemd/system")
    }

    var isHostRoot: Bool { root.split(separator: "/").isEmpty }

    func inRoot(_ path: String) -> String {
        isHostRoot ? path : (root.hasSuffix("/") ? String(root.dropLast()) : root) + path
    }

    private func parent(of path: String) -> String {
        String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    }

    private func removeIfPresent(_ path: String) throws {
        let full = inRoot(path)
        if unlink(full) != 0 && errno != ENOENT { throw BamError.io(path: full, operation: "unlink", errno: errno) }
    }
}

public enum ScheduleMethod: String, Sendable, Codable {
    case systemd, cron
}

/// What `bam schedule status` reports.
public struct ScheduleStatus: Equatable, Sendable {
    public var enabled: Bool
    public var method: ScheduleMethod
    /// The wants-symlink or cron file that makes it enabled (inside the root).
    public var path: String
    /// A cron file left from before systemd was installed (runs a second backup).
    public var strayCronFile: Bool
    /// The cron method on a root with no cron daemon: the file is inert.
    public var nothingRunsIt = false

    public init(enabled: Bool, method: ScheduleMethod, path: String, strayCronFile: Bool, nothingRunsIt: Bool = false) {
        self.enabled = enabled
        self.method = method
        self.path = path
        self.strayCronFile = strayCronFile
        self.nothingRunsIt = nothingRunsIt
    }
}
