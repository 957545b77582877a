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

        @Option(name: .customLong("key-format"), help: ArgumentHelp("Key packet format: v2 (scrypt, AES-GCM) or v1 (readable by the original TKLBAM).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @Flag(help: "Read the passphrase as one line from standard input instead of asking on the terminal.")
        var noninteractive = false

        @Flag(help: "Replace FILE if it already exists.")
        var force = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if noPassphrase && randomPassphrase {
                throw ValidationError("--no-passphrase and --random-passphrase exclude each other")
            }
            if file.isEmpty { throw ValidationError("FILE must not be empty (use - for standard output)") }
        }

        private var toStandardOutput: Bool { file == "-" }

        func run() throws {
            try output.run { reporter in
                let registry = registryOptions.registry
                let secret = try registry.loadSecret()
                if !toStandardOutput && Posix.fileExists(file) && !force {
                    throw BamError.invalid("\(file) already exists; use --force to replace it")
                }

                let passphrase: String
                if noPassphrase {
                    passphrase = ""
                } else if randomPassphrase {
                    passphrase = RandomPassphrase.generate()
                } else {
                    passphrase = try PassphrasePrompt.choose(noninteractive: noninteractive, prompt: "Escrow key passphrase: ")
                    if passphrase.isEmpty {
                        throw BamError.invalid("the passphrase is empty; use --no-passphrase to write an unprotected escrow key")
                    }
                }

                let packet = try KeyPacket.seal(secret: secret, passphrase: passphrase, format: keyFormat)
                let fingerprint = KeyPacket.fingerprint(of: secret)
                let protected = !passphrase.isEmpty

                var fields: [(String, JSONValue)] = [
                    ("format", .string(keyFormat.rawValue)),
                    ("fingerprint", .string(fingerprint)),
                    ("protected", .bool(protected)),
                ]
                if randomPassphrase { fields.append(("passphrase", .string(passphrase))) }

                if toStandardOutput {
                    // stdout carries the key alone (or, with --json, the summary
                    // holding it) so it can be piped; anything else goes to stderr.
                    if output.json {
                        fields.insert(("key", .string(packet)), at: 0)
                        reporter.summary(fields, text: "")
                    } else {
                        print(packet)
                        fflush(stdout)
                        if randomPassphrase {
                            FileHandle.standardError.write(Data("bam: escrow key passphrase: \(passphrase)\n".utf8))
                        }
                    }
                    return
                }

                try Posix.writeFileAtomically(file, Array((packet + "\n").utf8), mode: 0o600)
                fields.insert(("file", .string(file)), at: 0)
                var text = "wrote a \(keyFormat.rawValue) escrow key to \(file) (fingerprint \(fingerprint), \(protected ? "passphrase-protected" : "NOT protected by a passphrase"))"
                if randomPassphrase { text += "\nrandom passphrase: \(passphrase)" }
                reporter.summary(fields, text: text)
            }
        }
    }
}
