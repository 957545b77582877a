import Foundation

/// How long a connection may stay silent and how many connections the Hub
/// holds, so that idle or half-open connections cannot use up its file
/// descriptors and lock out other clients. 0 turns a limit off (the total
/// then is only what the open-file limit allows).
public struct ConnectionLimits: Sendable, Equatable {
    /// Seconds a new connection has to send its first complete request head.
    public var headerTimeout: Int
    /// Seconds a connection may go without receiving any part of a request
    /// while no response is being written: between keep-alive requests,
    /// and within a request whose head or body stalls.
    public var idleTimeout: Int
    /// Open connections allowed from one TCP peer address; more are closed
    /// at once. Behind a reverse proxy every connection comes from the proxy.
    public var perAddress: Int
    /// Open connections in all; beyond it new connections wait in the
    /// listen queue until one closes.
    public var total: Int

    public static let defaultHeaderTimeout = 10
    public static let defaultIdleTimeout = 60
    public static let defaultPerAddress = 64
    public static let defaultTotal = 512
    /// File descriptors kept for the database, templates and GeoIP files.
    static let reservedDescriptors = 64

    public init(
        headerTimeout: Int = defaultHeaderTimeout, idleTimeout: Int = defaultIdleTimeout,
        perAddress: Int = defaultPerAddress, total: Int = defaultTotal
    ) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.perAddress = perAddress
        self.total = total
    }

    /// `total`, lowered to what the open-file limit allows (a server that
    /// runs out of descriptors stops accepting anyone, which is what the caps
    /// are for); nil when there is no cap at all.
    public func totalWithin(openFileLimit: Int?) -> Int? {
        let room = openFileLimit.map { max(1, $0 - Self.reservedDescriptors) }
        guard total > 0 else { return room }
        return min(total, room ?? total)
    }

    /// The process's soft RLIMIT_NOFILE, nil when unlimited or unknown.
    public static func openFileLimit() -> Int? {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        // RLIM_INFINITY is all ones; it fails the Int.max check too.
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }
}
