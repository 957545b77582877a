import Foundation
import Hummingbird
import Logging

/// Hummingbird's request context plus the peer's address, which GeoIP
/// routing and throttling need.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// A request that came through no channel (`HubInProcessClient`), from
    /// `peerAddress`.
    init(logger: Logger, peerAddress: String?) {
        struct Source: RequestContextSource { let logger: Logger }
        self.coreContext = .init(source: Source(logger: logger))
        self.peerAddress = peerAddress
    }
}

/// Runs blocking work (libpq, SQLite, libcurl) on a Dispatch thread, so
/// that the server's event loops and Swift's cooperative pool never block.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
