import ArgumentParser
import BamEngine

extension Bam {
    /// `bam status`: whether this server is initialised and backed up, in
    /// words and in the exit code, for scripts and monitoring.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether this server is initialised and when it was last backed up.",
            discussion: """
                Exit codes, this command's own (the original tklbam-status's): \
                \(StatusExitStatus.backedUp.rawValue) backed up, \(StatusExitStatus.noBackup.rawValue) initialised \
                but never backed up, \(StatusExitStatus.notInitialised.rawValue) not initialised; a failure to \
                find out is 1 (or 12, 14 as for every command), never 10 or 11. \
                On a server linked to a Hub the record is refreshed from the Hub; \
                when it is unreachable, the cached record is shown with a warning.
                """)

        @Flag(help: "Print only the one-line status.")
        var short = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            var exitCode = StatusExitStatus.backedUp
            do {
                try report(&exitCode)
            } catch let error as ExitCode
                where error.rawValue == StatusExitStatus.noBackup.rawValue
                || error.rawValue == StatusExitStatus.notInitialised.rawValue
            {
                // A failure must not read as a state.
                throw ExitCode(BamExitStatus.failure.rawValue)
            }
            if exitCode != .backedUp { throw ExitCode(exitCode.rawValue) }
        }

        private func report(_ exitCode: inout StatusExitStatus) throws {
            try output.run { reporter in
                let outcome = try StatusUseCase(StatusRequest(registry: registryOptions.registry.path), progress: reporter).run()
                exitCode = outcome.exitStatus
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text(short: short))
            }
        }
    }
}
