/// What a front end asks of a prune: the `bam prune` options, typed.
public struct PruneRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The target; nil for the registry's backup address.
    public var address: String?
    public var confDirectory = "/etc/bam"
    public var cacheRoot = "/var/cache/bam"
    /// Replaces conf's policy when it has a rule; empty: conf's.
    public var policy = RetentionPolicy()
    public var dryRun = false
    public var access = TargetAccess()

    public init(registry: String) { self.registry = registry }

    public func validate() throws {
        try access.validate()
    }

    /// The policy to apply: the request's when it has a rule (options win
    /// over conf as a whole, so what was typed is exactly what runs),
    /// else conf's; a usage error when neither has one.
    public func effectivePolicy(conf: BamConf) throws -> RetentionPolicy {
        if !policy.isEmpty { return policy }
        if !conf.retention.isEmpty { return conf.retention }
        throw Self.noPolicy(confDirectory: confDirectory)
    }

    static func noPolicy(confDirectory: String) -> BamError {
        .invalid(
            "no retention policy: give --keep-full N and/or --keep-within AGE, "
                + "or set keep-full / keep-within in \(confDirectory)/\(BamConf.fileName)")
    }
}

/// What a prune did (or, dry, would do), as `bam prune --json` prints it.
public struct PruneOutcome: Codable, Sendable {
    public var operation = "prune"
    public var address: String
    public var report: PruneReport

    public init(address: String, report: PruneReport) {
        self.address = address
        self.report = report
    }

    public var text: String { "\(address):\n" + report.text }
}

/// Applies a retention policy to a target on demand (`ArchivePrune`).
/// Reading the chains needs no secret: names and sizes say which objects
/// form which chain, so the registry is read only for the address.
public struct PruneUseCase {
    public let request: PruneRequest
    public let progress: ProgressReporter

    public init(_ request: PruneRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> PruneOutcome {
        try request.validate()
        let conf = try BamConf.load(confDirectory: request.confDirectory)
        let registry = Registry(path: request.registry)
        let policy: RetentionPolicy
        do {
            policy = try request.effectivePolicy(conf: conf)
        } catch let noPolicy as BamError where request.address == nil && registry.isHubLinked {
            guard let hubPolicy = try hubPolicy(registry) else {
                throw BamError.invalid("\(noPolicy); the Hub sets none for this server either")
            }
            policy = hubPolicy
        }
        let address = try request.address ?? RegistryBackupAddress.load(registry)
        var options = ArchivePruneOptions(address: address, cacheRoot: request.cacheRoot, policy: policy)
        options.dryRun = request.dryRun
        options.storage = request.access.openOptions(
            registryPath: request.registry,
            confParallelTransfers: conf.configuredParallelUploads, confCAFile: conf.caFile)
        options.storage.confDirectory = request.confDirectory
        let report = try ArchivePrune(options: options, progress: progress).run()
        return PruneOutcome(address: address, report: report)
    }

    /// Linked to a Hub, with neither options nor conf setting a policy: the
    /// Hub's for this server's record (as a backup applies it), with the
    /// record's storage credentials made current. nil before the first
    /// backup made a record.
    private func hubPolicy(_ registry: Registry) throws -> RetentionPolicy? {
        guard let id = try HubBackupRegistration.load(registry)?.backupID else { return nil }
        guard let policy = try registry.hubClient().record(id).retention, !policy.isEmpty else { return nil }
        try HubSession(registry: registry, warn: { progress.report(.warning($0)) }).refreshCredentials(backupID: id)
        return policy
    }
}
