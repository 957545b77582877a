import ArgumentParser
import BamEngine

extension Bam {
    struct Schedule: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn the daily backup on or off, or show whether it is on.",
            discussion: """
                Uses the systemd timer bam-backup.timer (a random start in the \
                first hours after midnight) where systemd is installed, else a \
                cron file /etc/cron.d/bam-backup. The backup logs to the journal \
                and to /var/log/bam/backup.log. 'on' fails (exit 1) on a root with \
                neither systemd nor a cron daemon, where nothing would run it, \
                unless --force.
                """)

        enum Action: String, ExpressibleByArgument, CaseIterable {
            case on, off, status
        }

        @Argument(help: ArgumentHelp("on, off, or status.", valueName: "on|off|status"))
        var action: Action

        @Option(help: ArgumentHelp("The directory that stands for / (an offline system).", valueName: "DIR"))
        var root = "/"

        @Flag(help: "With 'on': write the cron file even though the root has no cron daemon to run it.")
        var force = false

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard root.hasPrefix("/") else { throw ValidationError("--root must be an absolute path") }
        }

        func run() throws {
            try output.run { reporter in
                let schedule = BackupSchedule(root: root)
                let status: ScheduleStatus
                switch action {
                case .on: status = try schedule.enable(force: force)
                case .off: status = try schedule.disable()
                case .status: status = schedule.status()
                }
                let how = status.method == .systemd ? "systemd timer \(BackupSchedule.timerUnit)" : "cron file \(BackupSchedule.cronFile)"
                var text = "daily backup: \(status.enabled ? "on" : "off") (\(how))"
                if status.strayCronFile { text += "; note: \(BackupSchedule.cronFile) also exists ('bam schedule off' removes it)" }
                if status.enabled && status.nothingRunsIt {
                    reporter.report(.warning("\(root) has no cron daemon: nothing runs \(BackupSchedule.cronFile) until cron is installed"))
                }
                reporter.summary([
                    ("operation", .string("schedule")),
                    ("enabled", .bool(status.enabled)),
                    ("method", .string(status.method.rawValue)),
                    ("path", .string(status.path)),
                    ("stray_cron_file", .bool(status.strayCronFile)),
                    ("nothing_runs_it", .bool(status.nothingRunsIt)),
                ], text: text)
            }
        }
    }
}
