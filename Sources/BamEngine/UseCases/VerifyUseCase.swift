/// What a front end asks of a verification: the `bam verify` options, typed.
public struct VerifyRequest: Codable, Sendable, Equatable {
    public var registry: String
    public var address: String
    public var cacheRoot = "/var/cache/bam"
    /// `now`, epoch seconds, an ISO time or an age like `3D`; nil: the latest.
    public var time: String?
    /// Compare the backed-up data with this directory.
    public var compareWith: String?
    public var access = TargetAccess()

    public init(registry: String, address: String) {
        self.registry = registry
        self.address = address
    }

    /// Refuses values no verification can run with (a usage error).
    public func validate() throws {
        if let time {
            do { _ = try BackupTime.parseUserTime(time) } catch { throw BamError.invalid("--time: \(error)") }
        }
        try access.validate()
    }
}

/// What a verification found, as `bam verify --json` prints it. A
/// difference from `compareWith` is a finding, not an error: the front
/// end decides what it means (the CLI exits 1).
public struct VerifyOutcome: Codable, Sendable {
    public var operation = "verify"
    public var time: String
    public var volumes: Int
    public var files: Int
    public var differences: [String]
    /// Not encoded: the text summary names it.
    public var comparedWith: String?

    enum CodingKeys: String, CodingKey {
        case operation, time, volumes, files, differences
    }

    public init(time: String, volumes: Int, files: Int, differences: [String], comparedWith: String?) {
        self.time = time
        self.volumes = volumes
        self.files = files
        self.differences = differences
        self.comparedWith = comparedWith
    }

    public var text: String {
        guard differences.isEmpty else { return "\(differences.count) difference(s) from \(comparedWith ?? "")" }
        return "verified \(volumes) volume(s), \(files) files of \(time)" + (comparedWith.map { "; identical to \($0)" } ?? "")
    }
}

/// Checks a backup end to end (`ArchiveVerify`): every volume's hash,
/// decryption, the whole chain, and optionally the data.
public struct VerifyUseCase {
    public let request: VerifyRequest
    public let progress: ProgressReporter

    public init(_ request: VerifyRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> VerifyOutcome {
        try request.validate()
        let secret = try Registry(path: request.registry).loadSecret()
        let result = try ArchiveVerify(
            address: request.address, time: try request.time.map { try BackupTime.parseUserTime($0) },
            compareWith: request.compareWith, scratchRoot: request.cacheRoot,
            storage: request.access.openOptions(registryPath: request.registry),
            passphrase: secret.bytes, progress: progress
        ).run()
        return VerifyOutcome(
            time: BackupTime.format(result.restore.time), volumes: result.restore.volumes, files: result.restore.files,
            differences: result.differences, comparedWith: request.compareWith)
    }
}
