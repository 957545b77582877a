/// How a front end asks an operation to reach its target: the user's
/// transport choices (`--s3-region`, `--s3-parallel-uploads`) and the
/// front end's name, which a writer leaves in the target's lock. It travels
/// in a request (a Webmin job writes its request to disk), so it holds no
/// credentials: those come from the registry or the environment when the
/// target is opened.
public struct TargetAccess: Codable, Sendable, Equatable {
    /// The S3 signing region; nil takes it from the host name.
    public var s3Region: String?
    /// Volumes uploaded at once, ranges fetched at once; nil: conf's
    /// `s3-parallel-uploads` where a conf applies, else 4.
    public var parallelTransfers: Int?
    /// Who writes, as a lock on the target names it.
    public var program: String
    /// SFTP: record a host key seen for the first time (`--accept-host-key`);
    /// nil or false refuses it. A changed key is always refused.
    public var acceptHostKey: Bool?
    /// CA certificates (a PEM file) that replace the system store for TLS
    /// targets and the Hub (`--ca-file`); nil: conf's `ca-file` where a
    /// conf applies, else the system store. Never a way to skip checks.
    public var caFile: String?

    public static let defaultParallelTransfers = 4

    public init(s3Region: String? = nil, parallelTransfers: Int? = nil, program: String = "bam", caFile: String? = nil) {
        self.s3Region = s3Region
        self.parallelTransfers = parallelTransfers
        self.program = program
        self.caFile = caFile
    }

    /// Refuses what no transfer can run with (a usage error).
    public func validate() throws {
        let range = BamConf.parallelUploadsRange
        if let parallelTransfers, !range.contains(parallelTransfers) {
            throw BamError.invalid("--s3-parallel-uploads must be between \(range.lowerBound) and \(range.upperBound)")
        }
        if let s3Region, s3Region.isEmpty || s3Region.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) {
            throw BamError.invalid("--s3-region must be a region name such as eu-west-1")
        }
        if let caFile, caFile.isEmpty { throw BamError.invalid("--ca-file needs the path of a PEM file of CA certificates") }
    }

    /// The options to open the target with, its credentials read from
    /// `registryPath`'s `credentials` file (nil: `BAM_REGISTRY`).
    public func openOptions(registryPath: String?, confParallelTransfers: Int? = nil, confCAFile: String? = nil) -> StorageOpenOptions {
        var options = StorageOpenOptions(
            registryPath: registryPath, region: s3Region,
            parallelTransfers: parallelTransfers ?? confParallelTransfers ?? TargetAccess.defaultParallelTransfers)
        options.program = program
        options.acceptHostKey = acceptHostKey ?? false
        options.caFile = caFile ?? confCAFile
        return options
    }
}
