import Foundation

/// Counts failed API-key and subkey attempts per client address and refuses
/// an address that failed `limit` times within `window` seconds, until the
/// window has passed. Kept in memory: a restart forgives, which is fine for
/// slowing down guessing of 160-bit keys.
public final class FailureThrottle: @unchecked Sendable {
    private let limit: Int
    private let window: Int64
    private let lock = NSLock()
    private var failures: [String: [Int64]] = [:]

    public init(limit: Int = 10, window: Int64 = 300) {
        self.limit = limit
        self.window = window
    }

    public func isBlocked(_ client: String, now: Int64) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let recent = (failures[client] ?? []).filter { $0 > now - window }
        failures[client] = recent.isEmpty ? nil : recent
        return recent.count >= limit
    }

    public func recordFailure(_ client: String, now: Int64) {
        lock.lock(); defer { lock.unlock() }
        if failures.count > 100_000 { failures.removeAll() }  // bounded memory under a flood
        failures[client, default: []].append(now)
    }
}
