import ArgumentParser
import BamEngine
import Foundation

/// Options of every command that reads or writes an archive target.
struct ArchiveOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Storage target, e.g. file:///srv/backups/web1.", valueName: "URL"))
    var address: String

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Local cache of manifests and signatures, and scratch space (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
    var cacheDirectory: String?

    var cacheRoot: String {
        if let cacheDirectory { return cacheDirectory }
        if let env = ProcessInfo.processInfo.environment["BAM_CACHE"], !env.isEmpty { return env }
        return "/var/cache/bam"
    }
}
