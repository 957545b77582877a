import ArgumentParser
import BamEngine

/// Where the registry is: `BAM_REGISTRY`, else `/var/lib/bam`. An option
/// group so every command that needs the secret finds it the same way.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("registry"), help: ArgumentHelp("Registry directory (default: $BAM_REGISTRY or /var/lib/bam).", valueName: "DIR"))
    var registryPath: String?

    var registry: Registry {
        if let registryPath { return Registry(path: registryPath) }
        return Registry.fromEnvironment()
    }
}
