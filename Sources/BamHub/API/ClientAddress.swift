import Foundation

/// Which address a request came from. Behind a reverse proxy the socket's
/// peer is the proxy: then, and only when that peer is one of the trusted
/// proxies, the last address of the configured header (e.g.
/// `X-Forwarded-For`) is the client's.
public struct ClientAddressPolicy: Sendable {
    public var header: String?
    public var trustedProxies: Set<String>

    public init(header: String? = nil, trustedProxies: Set<String> = []) {
        self.header = header
        self.trustedProxies = trustedProxies
    }

    public func client(peer: String?, headerValue: String?) -> String? {
        guard let peer else { return nil }
        guard header != nil, trustedProxies.contains(peer), let headerValue else { return Self.unmapped(peer) }
        let last = headerValue.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
        return last.flatMap { $0.isEmpty ? nil : Self.unmapped($0) } ?? Self.unmapped(peer)
    }

    /// `::ffff:1.2.3.4` as `1.2.3.4`, so throttling and GeoIP see one form.
    static func unmapped(_ address: String) -> String {
        address.hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }
}
