import Foundation

/// What opening a storage target may need beyond its address: where the
/// command's registry is (its `credentials` file), the environment to read
/// `AWS_*` credentials from, S3 tuning such as the signing region, and how
/// many transfers an operation may run at once.
public struct StorageOpenOptions: Sendable {
    /// The registry whose `credentials` file holds S3 keys; nil means
    /// `BAM_REGISTRY` or the default path.
    public var registryPath: String?
    /// The S3 signing region; nil takes it from the host name.
    public var region: String?
    /// S3 tuning (part size, retries, ...); `region` above overrides its region.
    public var s3: S3Options
    /// The environment to read credentials from; nil is the process's.
    public var environment: [String: String]?
    /// Volumes uploaded at the same time by a backup (each large one is
    /// itself sent as parallel parts), and ranges fetched at once per
    /// volume on restore.
    public var parallelTransfers: Int
    /// The program and version a writer names in the target's lock
    /// (`TargetLock`), for whoever finds the target busy.
    public var program = "bam"
    /// SFTP: whether a host key the known_hosts file does not know yet is
    /// accepted and recorded there (`--accept-host-key`); never a changed one.
    public var acceptHostKey = false
    /// The configuration directory whose conf may name the SFTP key and
    /// known_hosts files; nil: `BAM_CONF` or /etc/bam.
    public var confDirectory: String?
    /// CA certificates (a PEM file) that replace the system store for TLS
    /// targets (`s3://`, `webdavs://`, `ftps://`); nil: the system store.
    public var caFile: String?

    public init(
        registryPath: String? = nil, region: String? = nil, s3: S3Options = S3Options(),
        environment: [String: String]? = nil, parallelTransfers: Int = 4
    ) {
        self.registryPath = registryPath
        self.region = region
        self.s3 = s3
        self.environment = environment
        self.parallelTransfers = parallelTransfers
    }
}
