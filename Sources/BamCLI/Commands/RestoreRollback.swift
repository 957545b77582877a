import ArgumentParser
import BamEngine

extension Bam {
    struct RestoreRollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore-rollback",
            abstract: "Undo the last restore: files, owners, modes, users and groups, and the packages it installed.",
            discussion: """
                Uses the rollback store the restore saved in \
                ROOT\(RollbackStore.location); removes it when done.
                """)

        @OptionGroup var system: SystemRootOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                let result = try SystemRollback(root: system.root, registry: registryOptions.registry, progress: reporter).run()
                reporter.summary([
                    ("operation", .string("restore-rollback")),
                    ("root", .string(system.root)),
                    ("removed", .int(Int64(result.removed))),
                    ("restored_files", .int(Int64(result.restoredFiles))),
                    ("restored_metadata", .int(Int64(result.restoredMetadata))),
                    ("purged_packages", .array(result.purgedPackages.map { .string($0) })),
                ], text: """
                    rolled back the last restore on \(system.root): removed \(result.removed) added path(s), put back \(result.restoredFiles) original file(s), reset owner/mode/times of \(result.restoredMetadata) path(s)
                    purged: \(result.purgedPackages.isEmpty ? "no packages" : result.purgedPackages.joined(separator: " "))
                    """)
            }
        }
    }
}
