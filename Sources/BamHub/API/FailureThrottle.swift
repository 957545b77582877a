import Foundation

/// Counts failed API-key and subkey attempts per client address and refuses
/// an address that failed `limit` times within `window` seconds, until the
/// window has passed. The failures live in the Hub's database, so that
/// several `bam-hub serve` processes on one database throttle together (a
/// guesser spreading requests over them gets no more tries), and a restart
/// forgives nothing.
public final class FailureThrottle: Sendable {
    private let store: HubStore
    private let limit: Int
    private let window: Int64

    public init(store: HubStore, limit: Int = 10, window: Int64 = 300) {
        self.store = store
        self.limit = limit
        self.window = window
    }

    public func isBlocked(_ client: String, now: Int64) throws -> Bool {
        try store.failureCount(address: client, after: now - window) >= limit
    }

    public func recordFailure(_ client: String, now: Int64) throws {
        try store.addFailure(address: client, at: now, forgetUpTo: now - window)
    }
}
