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

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if !solo { throw ValidationError("only 'bam init --solo' is available in this version (Hub linking comes later)") }
        }

        func run() throws {
            try output.run { reporter in
                let registry = registryOptions.registry
                try registry.initialise(force: force)
                reporter.summary([
                    ("registry", .string(registry.path)),
                    ("initialised", .bool(true)),
                ], text: "initialised \(registry.path) (solo)")
            }
        }
    }
}
