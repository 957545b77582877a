import ArgumentParser
import BamEngine
import Foundation

extension Bam {
    /// `bam escrow`: exports the backup secret as a key packet of its own,
    /// to keep somewhere safe. With it (and its passphrase) `bam restore
    /// --keyfile` restores without a Hub or this server's registry.
    struct Escrow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an escrow key: the backup secret in its own key packet.",
            discussion: """
                The escrow key has its own passphrase (asked twice on the \
                terminal, or one line on standard input with --noninteractive), \
                a random one (--random-passphrase), or none (--no-passphrase). \
                The file is written with mode 0600; '-' writes the key to \
                standard output instead.
                """)

        @Argument(help: ArgumentHelp("Where to write the escrow key (mode 0600), or - for standard output.", valueName: "FILE|-"))
        var file: String

        @Flag(help: "Do not protect the escrow key with a passphrase (anyone who has the file can read every backup).")
        var noPassphrase = false

        @Flag(help: "Protect the escrow key with a generated passphrase, printed once.")
        var randomPassphrase = false

        @Option(
            name: .customLong("key-format"),
            help: ArgumentHelp("Key packet format: v2 (scrypt, AES-GCM) or v1 (readable by the original TKLBAM).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @Flag(help: "Read the passphrase as one line from standard input instead of asking on the terminal.")
        var noninteractive = false

        @Flag(help: "Replace FILE if it already exists.")
        var force = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        /// The options as the engine's typed request (the passphrase asked
        /// for by `run`).
        var request: EscrowRequest {
            var r = EscrowRequest(registry: registryOptions.registry.path)
            r.file = file == "-" ? nil : file
            r.noPassphrase = noPassphrase
            r.randomPassphrase = randomPassphrase
            r.keyFormat = keyFormat
            r.force = force
            return r
        }

        func validate() throws {
            if file.isEmpty { throw ValidationError("FILE must not be empty (use - for standard output)") }
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                var request = self.request
                // No secret or an existing file: fail before asking.
                try EscrowUseCase(request).checkBeforePassphrase()
                if !noPassphrase && !randomPassphrase {
                    request.passphrase = try PassphrasePrompt.choose(noninteractive: noninteractive, prompt: "Escrow key passphrase: ")
                }
                let outcome = try EscrowUseCase(request).run()
                guard let key = outcome.key else {
                    reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
                    return
                }
                // stdout carries the key alone (or, with --json, the summary
                // holding it) so it can be piped; anything else goes to stderr.
                if output.json {
                    reporter.summary(try JSONValue.encoding(outcome), text: "")
                } else {
                    print(key)
                    fflush(stdout)
                    if let passphrase = outcome.passphrase {
                        FileHandle.standardError.write(Data("bam: escrow key passphrase: \(passphrase)\n".utf8))
                    }
                }
            }
        }
    }
}
