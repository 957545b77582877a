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
            } catch let error as ExitCode where error.rawValue == StatusExitStatus.noBackup.rawValue
                        || error.rawValue == StatusExitStatus.notInitialised.rawValue {
                // A failure must not read as a state.
                throw ExitCode(BamExitStatus.failure.rawValue)
            }
            if exitCode != .backedUp { throw ExitCode(exitCode.rawValue) }
        }

        private func report(_ exitCode: inout StatusExitStatus) throws {
            try output.run { reporter in
                let registry = registryOptions.registry
                guard registry.isInitialised else {
                    exitCode = .notInitialised
                    reporter.summary([("status", .string("not-initialised")), ("registry", .string(registry.path))], text: short
                        ? "bam: NOT INITIALISED"
                        : "bam: NOT INITIALISED\n\n  To initialise, link this server to a Hub account with 'bam init APIKEY',\n  or run 'bam init --solo' to back up without a Hub.")
                    return
                }
                let linked = registry.isHubLinked
                let registration = linked
                    ? try HubSession(registry: registry, warn: { reporter.report(.warning($0)) }).currentRegistration()
                    : try HubBackupRegistration.load(registry)
                var fields: [(String, JSONValue)] = [("registry", .string(registry.path)), ("hub_linked", .bool(linked))]
                guard let registration, let updated = registration.updated else {
                    exitCode = .noBackup
                    fields.insert(("status", .string("no-backup")), at: 0)
                    if let address = registration?.address { fields.append(("address", .string(address))) }
                    reporter.summary(fields, text: "bam: No backups have yet been created")
                    return
                }
                fields.insert(("status", .string("ok")), at: 0)
                fields.append(("last_backup", .string(updated)))
                fields.append(("address", .string(registration.address)))
                if let id = registration.backupID { fields.append(("backup_id", .string(id))) }
                if let size = registration.size { fields.append(("size", .int(size))) }
                var text = "bam: Last backup succeeded at \(updated) UTC"
                if !short {
                    var details: [String] = []
                    if let id = registration.backupID { details.append("Backup ID #\(id)") }
                    if let size = registration.size { details.append("Size: \(RecordFormat.megabytes(size)) MB") }
                    details.append("Address: \(registration.address)")
                    text += "\n  " + details.joined(separator: ", ")
                }
                reporter.summary(fields, text: text)
            }
        }
    }
}
