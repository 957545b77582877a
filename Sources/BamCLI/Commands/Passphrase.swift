import ArgumentParser
import BamEngine

extension Bam {
    /// `bam passphrase`: wraps the registry's secret, which never changes,
    /// in a new key packet. Old backups stay readable; only the packet that
    /// leaves the server (Hub record, `<registry>/key`) changes.
    struct Passphrase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the passphrase that protects the backup key.",
            discussion: """
                Re-wraps the same backup secret in a new key packet saved to \
                <registry>/key (mode 0600); on a server linked to a Hub the packet \
                goes to its backup record first. An empty passphrase removes the \
                protection, after a confirmation. With --noninteractive the \
                new passphrase is one line on standard input.
                """)

        @Flag(help: "Generate a random passphrase and print it (write it down: it is shown once).")
        var random = false

        @Option(
            name: .customLong("key-format"),
            help: ArgumentHelp("Key packet format: v2 (scrypt, AES-GCM) or v1 (the original TKLBAM's, weaker).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @Flag(help: "Read the new passphrase as one line from standard input instead of asking on the terminal.")
        var noninteractive = false

        @Flag(help: "Remove the protection for an empty passphrase without asking (required with --noninteractive).")
        var force = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                var request = PassphraseRequest(registry: registryOptions.registry.path)
                request.random = random
                request.keyFormat = keyFormat
                request.allowEmpty = force
                // No secret, no question.
                try PassphraseUseCase(request).checkBeforePassphrase()
                if !random {
                    let passphrase = try PassphrasePrompt.choose(noninteractive: noninteractive)
                    if passphrase.isEmpty && !force {
                        if noninteractive {
                            throw BamError.invalid("an empty passphrase removes the key's protection; with --noninteractive add --force to confirm it")
                        }
                        let question = "An empty passphrase leaves the key unprotected: anyone who gets it can read every backup. Continue? [y/N] "
                        guard try PassphrasePrompt.confirm(question) else {
                            throw BamError.invalid("the passphrase was not changed")
                        }
                    }
                    request.passphrase = passphrase
                    request.allowEmpty = true
                }
                let outcome = try PassphraseUseCase(request, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
            }
        }
    }
}
