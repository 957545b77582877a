import ArgumentParser
import BamEngine

extension Bam {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up a directory tree to a storage target (duplicity format).",
            discussion: """
                Writes a full backup, or an incremental on the target's latest chain \
                when its full backup is younger than --full-backup. Volumes are \
                encrypted with the registry's secret.
                """)

        @Option(name: .customLong("raw-upload"), help: ArgumentHelp("Back up this directory as it is.", valueName: "DIR"))
        var rawUpload: String

        @OptionGroup var archive: ArchiveOptions

        @Option(name: .customLong("full-backup"), help: ArgumentHelp("'now' for a new full backup, or an age like 1M: full when the last full backup is older.", valueName: "FREQ"))
        var fullBackup = "1M"

        @Option(help: ArgumentHelp("Volume size in MiB.", valueName: "MB"))
        var volsize = 25

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...10_000).contains(volsize) else { throw ValidationError("--volsize must be between 1 and 10000 MiB") }
            do { _ = try FullBackupPolicy.parse(fullBackup) } catch { throw ValidationError("--full-backup: \(error)") }
        }

        func run() throws {
            try output.run { reporter in
                let secret = try registryOptions.registry.loadSecret()
                var options = ArchiveBackupOptions(source: rawUpload, address: archive.address, cacheRoot: archive.cacheRoot)
                options.volumeSize = Int64(volsize) << 20
                options.fullBackup = try FullBackupPolicy.parse(fullBackup)
                let result = try ArchiveBackup(options: options, passphrase: secret.bytes, progress: reporter).run()
                let s = result.statistics
                let kind = result.incremental ? "incremental" : "full"
                reporter.summary([
                    ("operation", .string("backup")),
                    ("kind", .string(kind)),
                    ("time", .string(BackupTime.format(result.time))),
                    ("address", .string(archive.address)),
                    ("files", .int(Int64(s.sourceFiles))),
                    ("bytes", .int(s.sourceBytes)),
                    ("new", .int(Int64(s.newFiles))),
                    ("changed", .int(Int64(s.changedFiles))),
                    ("deleted", .int(Int64(s.deletedFiles))),
                    ("unchanged", .int(Int64(s.unchangedFiles))),
                    ("volumes", .int(Int64(s.volumes))),
                    ("stored_bytes", .int(s.storedBytes)),
                ], text: """
                    \(kind) backup \(BackupTime.format(result.time)) to \(archive.address)
                    files: \(s.sourceFiles) (\(ByteCount.format(s.sourceBytes))); new \(s.newFiles), changed \(s.changedFiles), deleted \(s.deletedFiles), unchanged \(s.unchangedFiles)
                    stored: \(s.volumes) volume(s), \(ByteCount.format(s.storedBytes)) in \(String(format: "%.1f", reporter.elapsed)) s
                    """)
            }
        }
    }
}
