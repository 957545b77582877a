import ArgumentParser
import BamEngine

extension Bam {
    struct RestoreRollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore-rollback",
            abstract: "Undo the last restore: files, owners, modes, users and groups, the packages it installed, and its databases.",
            discussion: """
                Uses the rollback store the restore saved in \
                ROOT\(RollbackStore.location); removes it when done.

                Databases: each database the restore replaced gets its \
                pre-restore contents back and each one it created is dropped \
                (changes made to them since the restore are lost). MySQL/MariaDB \
                accounts come back with the mysql database when the restore \
                replaced it. PostgreSQL roles come back as they were: roles \
                the restore created are dropped, and the others get back their \
                attributes, passwords, memberships and per-role settings. A role \
                the restore created that owns objects made since the restore is \
                kept, with a warning, rather than lose them. A VALID UNTIL the \
                restore gave a role that had none becomes 'infinity' \
                (PostgreSQL cannot unset it), and tablespaces the restore \
                created stay.
                """)

        @OptionGroup var system: SystemRootOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                var request = RollbackRequest(registry: registryOptions.registry.path)
                request.root = system.root
                let outcome = try RollbackUseCase(request, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
            }
        }
    }
}
