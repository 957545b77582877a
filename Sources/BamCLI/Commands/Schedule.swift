import ArgumentParser
import BamEngine

extension ScheduleRequest.Action: ExpressibleByArgument {}

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

        @Argument(help: ArgumentHelp("on, off, or status.", valueName: "on|off|status"))
        var action: ScheduleRequest.Action

        @Option(help: ArgumentHelp("The directory that stands for / (an offline system).", valueName: "DIR"))
        var root = "/"

        @Flag(help: "With 'on': write the cron file even though the root has no cron daemon to run it.")
        var force = false

        @OptionGroup var output: OutputOptions

        var request: ScheduleRequest {
            var r = ScheduleRequest(action: action)
            r.root = root
            r.force = force
            return r
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                let outcome = try ScheduleUseCase(request, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
            }
        }
    }
}
