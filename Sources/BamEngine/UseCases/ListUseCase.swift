import Foundation

/// What a front end asks of `bam list`: the Hub account's backup records.
public struct ListRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The Hub when the registry names none (nil: `$BAM_HUB_URL`).
    public var hubURL: String?

    public init(registry: String) { self.registry = registry }
}

/// The records, as `bam list --json` prints them.
public struct ListOutcome: Codable, Sendable, Equatable {
    public var records: [HubRecord]
}

/// Lists the Hub account's backup records; when the Hub is unreachable,
/// this server's own cached record, with a warning.
public struct ListUseCase {
    public let request: ListRequest
    public let progress: ProgressReporter

    public init(_ request: ListRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> ListOutcome {
        let session = try HubSession(
            registry: Registry(path: request.registry), hubURL: request.hubURL,
            warn: { progress.report(.warning($0)) })
        return ListOutcome(records: try session.listRecords())
    }
}
