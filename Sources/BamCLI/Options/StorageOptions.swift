import ArgumentParser
import BamEngine

/// Options of the storage target's transport (S3 today). Credentials are
/// deliberately not options: argv is visible to every user of the machine,
/// so they come from `AWS_*` variables or the registry's `credentials` file.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("s3-region"), help: ArgumentHelp("S3 signing region (default: from the host name, else us-east-1).", valueName: "REGION"))
    var s3Region: String?

    @Option(
        name: .customLong("s3-parallel-uploads"),
        help: ArgumentHelp("Volumes uploaded (and ranges downloaded) at the same time (default: conf's s3-parallel-uploads, else 4).", valueName: "N"))
    var s3ParallelUploads: Int?

    @Flag(
        name: .customLong("accept-host-key"),
        help: "sftp://: record the server's host key in the known_hosts file when it has none for the host (a changed key is always refused).")
    var acceptHostKey = false
    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "CA certificates (PEM) to check the TLS certificates of s3://, webdavs://, ftps:// targets and the Hub against, instead of the system store (default: conf's ca-file).",
            valueName: "PATH"))
    var caFile: String?

    func validate() throws {
        do { try access.validate() } catch { throw ValidationError("\(error)") }
    }

    /// The options as the engine's request takes them; the lock a writer
    /// leaves on the target names this program and version.
    var access: TargetAccess {
        var access = TargetAccess(
            s3Region: s3Region, parallelTransfers: s3ParallelUploads, program: "bam \(BamVersion.string)", caFile: caFile)
        if acceptHostKey { access.acceptHostKey = true }
        return access
    }
}
