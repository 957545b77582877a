/// What a front end asks of a rollback of the last restore.
public struct RollbackRequest: Codable, Sendable, Equatable {
    public var registry: String
    public var root = "/"

    public init(registry: String) { self.registry = registry }
}

/// What a rollback did, as `bam restore-rollback --json` prints it.
public struct RollbackOutcome: Codable, Sendable {
    public var operation = "restore-rollback"
    public var root: String
    public var removed: Int
    public var restoredFiles: Int
    public var restoredMetadata: Int
    public var purgedPackages: [String]

    enum CodingKeys: String, CodingKey {
        case operation, root, removed
        case restoredFiles = "restored_files", restoredMetadata = "restored_metadata", purgedPackages = "purged_packages"
    }

    public var text: String {
        """
        rolled back the last restore on \(root): removed \(removed) added path(s), put back \(restoredFiles) original file(s), reset owner/mode/times of \(restoredMetadata) path(s)
        purged: \(purgedPackages.isEmpty ? "no packages" : purgedPackages.joined(separator: " "))
        """
    }
}

/// Undoes the last restore from its rollback store.
public struct RollbackUseCase {
    public let request: RollbackRequest
    public let progress: ProgressReporter

    public init(_ request: RollbackRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> RollbackOutcome {
        let result = try SystemRollback(root: request.root, registry: Registry(path: request.registry), progress: progress).run()
        return RollbackOutcome(
            root: request.root, removed: result.removed, restoredFiles: result.restoredFiles,
            restoredMetadata: result.restoredMetadata, purgedPackages: result.purgedPackages)
    }
}
