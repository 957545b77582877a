import HummingbirdCore
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 with `limits` applied to every connection: the idle timeout
    /// is Hummingbird's own, the per-address cap and the request-head
    /// timeout are handlers after the HTTP decoder. The total cap is not
    /// here: it is the server's `availableConnectionsDelegate`.
    static func http1(limits: ConnectionLimits) -> HTTPServerBuilder {
        let counts = limits.perAddress > 0 ? PeerConnectionCounts(limit: limits.perAddress) : nil
        let headerTimeout = limits.headerTimeout > 0 ? TimeAmount.seconds(Int64(limits.headerTimeout)) : nil
        return .http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: limitHandlers(counts: counts, headerTimeout: headerTimeout),
                idleTimeout: limits.idleTimeout > 0 ? .seconds(Int64(limits.idleTimeout)) : nil))
    }

    /// Fresh handlers for one connection (called once per connection).
    private static func limitHandlers(counts: PeerConnectionCounts?, headerTimeout: TimeAmount?) -> [any RemovableChannelHandler] {
        var handlers: [any RemovableChannelHandler] = []
        if let counts { handlers.append(PeerConnectionCapHandler(counts: counts)) }
        if let headerTimeout { handlers.append(RequestHeadTimeoutHandler(timeout: headerTimeout)) }
        return handlers
    }
}
