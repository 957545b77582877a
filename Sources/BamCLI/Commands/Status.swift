import ArgumentParser
import BamEngine

extension Bam {
    /// `bam status`: whether this server is initialised and backed up, in
    /// words and in the exit code, for scripts and monitoring.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether this server is initialised and when it was last backed up.",
            discussion: """
                Exit codes: 0 backed up, 10 initialised but never backed up, \
                11 not initialised. On a server linked to a Hub the record is \
                refreshed from the Hub; when it is unreachable, the cached record \
                is shown with a warning.
                """)

        @Flag(help: "Print only the one-line status.")
        var short = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        static let noBackup: Int32 = 10
        static let notInitialised: Int32 = 11

        func run() throws {
            var exitCode: Int32 = 0
            try output.run { reporter in
                let registry = registryOptions.registry
                guard registry.isInitialised else {
                    exitCode = Self.notInitialised
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
                    exitCode = Self.noBackup
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
            if exitCode != 0 { throw ExitCode(exitCode) }
        }
    }
}
