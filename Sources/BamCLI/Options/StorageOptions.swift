import ArgumentParser
import BamEngine

/// Options of the storage target's transport (S3 today). Credentials are
/// deliberately not options: argv is visible to every user of the machine,
/// so they come from `AWS_*` variables or the registry's `credentials` file.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("s3-region"), help: ArgumentHelp("S3 signing region (default: from the host name, else us-east-1).", valueName: "REGION"))
    var s3Region: String?

    @Option(name: .customLong("s3-parallel-uploads"), help: ArgumentHelp("Volumes uploaded at the same time (default 4).", valueName: "N"))
    var s3ParallelUploads = 4

    func validate() throws {
        let range = BamConf.parallelUploadsRange
        guard range.contains(s3ParallelUploads) else {
            throw ValidationError("--s3-parallel-uploads must be between \(range.lowerBound) and \(range.upperBound)")
        }
        if let s3Region, s3Region.isEmpty || s3Region.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw ValidationError("--s3-region must be a region name such as eu-west-1")
        }
        install()
    }

    /// Runs once the command line is parsed: every operation of the
    /// command opens targets with these options (the engine's operations
    /// open them through `StorageRegistry.open(address:)`), so a command
    /// only has to include this group.
    func install(registry: Registry? = nil) {
        var options = apply(to: StorageRegistry.defaults)
        if let registry { options.registryPath = registry.path }
        StorageRegistry.defaults = options
    }

    /// Applies these options on top of `base`.
    func apply(to base: StorageOpenOptions) -> StorageOpenOptions {
        var options = base
        if let s3Region { options.region = s3Region }
        options.parallelTransfers = s3ParallelUploads
        options.program = "bam \(BamVersion.string)"
        return options
    }
}
