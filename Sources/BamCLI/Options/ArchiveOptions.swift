import ArgumentParser
import BamEngine
import Foundation

/// Options of every command that reads or writes an archive target.
struct ArchiveOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX for a local server.", valueName: "URL"))
    var address: String

    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp("Local cache of manifests and signatures, and scratch space (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
    var cacheDirectory: String?

    @OptionGroup var storage: StorageOptions

    var cacheRoot: String { DefaultDirectory.cache(cacheDirectory) }
}
