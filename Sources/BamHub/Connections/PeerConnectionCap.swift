import Foundation
import NIOCore
import NIOHTTPTypes

/// Open connections per TCP peer address, shared by every connection's
/// `PeerConnectionCapHandler` (they run on several event loops).
final class PeerConnectionCounts: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var open: [String: Int] = [:]

    init(limit: Int) { self.limit = limit }

    /// Counts one more connection from `peer`, unless it has `limit` open.
    func admit(_ peer: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let count = open[peer, default: 0]
        guard count < limit else { return false }
        open[peer] = count + 1
        return true
    }

    func release(_ peer: String) {
        lock.lock(); defer { lock.unlock() }
        let count = open[peer, default: 0]
        open[peer] = count > 1 ? count - 1 : nil
    }

    func openConnections(from peer: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return open[peer, default: 0]
    }
}

/// Closes a connection as soon as it is active when its peer address
/// already holds the limit, before a byte of it is parsed; counts it
/// otherwise until it closes. The peer is the TCP peer: behind a reverse
/// proxy that is the proxy.
final class PeerConnectionCapHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart  // passed on untouched

    private let counts: PeerConnectionCounts
    private var counted: String?
    private var decided = false

    init(counts: PeerConnectionCounts) { self.counts = counts }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admitOrClose(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        admitOrClose(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func admitOrClose(_ context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        // A peer without an IP address (a Unix socket) is not capped.
        guard let address = context.channel.remoteAddress?.ipAddress else { return }
        let peer = ClientAddressPolicy.unmapped(address)
        if counts.admit(peer) {
            counted = peer
        } else {
            context.close(promise: nil)
        }
    }

    private func release() {
        if let peer = counted { counts.release(peer) }
        counted = nil
    }
}
