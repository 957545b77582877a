import ArgumentParser
import BamEngine

extension Bam {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Initialise the registry with a new backup secret.",
            discussion: "With --solo no Hub is used: backups go to the address given to 'bam backup'.")

        @Flag(help: "Initialise without a Hub.")
        var solo = false

        @Flag(help: "Replace an existing secret (existing backups become unreadable with the new one).")
        var force = false

        @Option(name: .customLong("key-format"), help: ArgumentHelp("Format of the key packet written to <registry>/key: v2 (scrypt, AES-GCM) or v1 (the original TKLBAM's).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if !solo { throw ValidationError("only 'bam init --solo' is available in this version (Hub linking comes later)") }
        }

        func run() throws {
            try output.run { reporter in
                let registry = registryOptions.registry
                let secret = try registry.initialise(force: force)
                try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: keyFormat))
                let fingerprint = KeyPacket.fingerprint(of: secret)
                reporter.summary([
                    ("registry", .string(registry.path)),
                    ("initialised", .bool(true)),
                    ("key", .string(registry.keyPath)),
                    ("fingerprint", .string(fingerprint)),
                ], text: "initialised \(registry.path) (solo); key fingerprint \(fingerprint), not passphrase-protected (see 'bam passphrase')")
            }
        }
    }
}
