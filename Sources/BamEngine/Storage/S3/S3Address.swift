import Foundation

/// A bucket prefix on an S3-compatible server, parsed from
/// `s3://HOST[:PORT]/BUCKET[/PREFIX]` (HTTPS) or
/// `s3+http://HOST[:PORT]/BUCKET[/PREFIX]` (plain HTTP, for local servers).
/// Requests are path-style (`HOST/BUCKET/KEY`), which works with local
/// servers and with bucket names that contain dots.
public struct S3Address: Equatable, Sendable {
    public enum Scheme: String, Sendable {
        case https = "s3"
        case http = "s3+http"

        var urlScheme: String { self == .https ? "https" : "http" }
        var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public let scheme: Scheme
    /// The host name or address (an IPv6 address without its brackets).
    public let host: String
    /// The port when it is not the scheme's default.
    public let port: Int?
    public let bucket: String
    /// The key prefix objects live under: empty, or ending with `/`.
    public let prefix: String
    /// The signing region: the explicit one, else the one in an AWS host
    /// name, else `us-east-1`.
    public let region: String

    public static let defaultRegion = "us-east-1"

    public init(parsing address: String, region explicitRegion: String? = nil) throws {
        let scheme: Scheme
        let rest: Substring
        if address.hasPrefix("s3://") {
            scheme = .https
            rest = address.dropFirst("s3://".count)
        } else if address.hasPrefix("s3+http://") {
            scheme = .http
            rest = address.dropFirst("s3+http://".count)
        } else {
            throw StorageError.unsupported("not an S3 address: \(address) (expected s3://HOST[:PORT]/BUCKET[/PREFIX] or s3+http://HOST:PORT/BUCKET[/PREFIX])")
        }
        let usage = "expected \(scheme.rawValue)://HOST[:PORT]/BUCKET[/PREFIX]"
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = rest.dropFirst(authority.count)
        if path.contains("?") || path.contains("#") {
            throw StorageError.unsupported("S3 address \(address) has a query or fragment: \(usage)")
        }
        if authority.contains("@") {
            // Never echo the address: the part before @ may be a secret.
            throw StorageError.unsupported(
                "an S3 address must not contain credentials (user:secret@); use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the registry's credentials file")
        }
        var host: String
        var port: Int? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw StorageError.unsupported("S3 address \(address) has an unterminated IPv6 address")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            authority = authority[authority.index(after: close)...]
            if !authority.isEmpty {
                guard authority.hasPrefix(":") else { throw StorageError.unsupported("S3 address \(address): \(usage)") }
                port = try Self.port(authority.dropFirst(), address)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = try Self.port(authority[authority.index(after: colon)...], address)
        } else {
            host = String(authority)
        }
        host = host.lowercased()
        guard !host.isEmpty else { throw StorageError.unsupported("S3 address \(address) has no host: \(usage)") }
        if port == scheme.defaultPort { port = nil }

        while path.hasPrefix("/") { path = path.dropFirst() }
        let bucketPart = path.prefix { $0 != "/" }
        let bucket = String(bucketPart)
        guard !bucket.isEmpty else { throw StorageError.unsupported("S3 address \(address) has no bucket: \(usage)") }
        guard Self.isValidBucket(bucket) else {
            throw StorageError.unsupported("S3 address \(address): \(bucket) is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)")
        }
        var prefixText = String(path.dropFirst(bucketPart.count))
        prefixText = prefixText.removingPercentEncoding ?? prefixText
        let segments = prefixText.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains(where: { $0 == "." || $0 == ".." }) {
            throw StorageError.unsupported("S3 address \(address): the prefix must not contain . or .. segments")
        }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.bucket = bucket
        self.prefix = segments.isEmpty ? "" : segments.joined(separator: "/") + "/"
        if let explicitRegion, !explicitRegion.isEmpty {
            self.region = explicitRegion
        } else {
            self.region = Self.region(fromHost: host) ?? Self.defaultRegion
        }
    }

    /// `host[:port]` as sent in the Host header (and signed).
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        if let port { return "\(h):\(port)" }
        return h
    }

    /// `https://host[:port]` or `http://host[:port]`.
    public var endpoint: String { "\(scheme.urlScheme)://\(hostHeader)" }

    /// The region named by an AWS S3 endpoint: `s3.eu-west-1.amazonaws.com`,
    /// `s3-eu-west-1.amazonaws.com`, `s3.dualstack.eu-west-1.amazonaws.com`;
    /// `us-east-1` for the global `s3.amazonaws.com`; nil for other hosts.
    public static func region(fromHost host: String) -> String? {
        let labels = host.lowercased().split(separator: ".").map(String.init)
        guard let aws = labels.firstIndex(of: "amazonaws"), aws >= 1 else { return nil }
        let before = Array(labels[..<aws])
        guard let s3 = before.lastIndex(where: { $0 == "s3" || $0.hasPrefix("s3-") }) else { return nil }
        let label = before[s3]
        if label.hasPrefix("s3-") {
            let region = String(label.dropFirst(3))
            if region == "external-1" { return "us-east-1" }
            if region.hasPrefix("website-") { return String(region.dropFirst("website-".count)) }
            return region.isEmpty ? nil : region
        }
        var rest = Array(before[(s3 + 1)...])
        if rest.first == "dualstack" { rest.removeFirst() }
        return rest.first ?? "us-east-1"
    }

    static func isValidBucket(_ name: String) -> Bool {
        guard (3...63).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
        }
    }

    private static func port(_ text: Substring, _ address: String) throws -> Int {
        guard let p = Int(text), (1...65535).contains(p) else {
            throw StorageError.unsupported("S3 address \(address) has an invalid port \(text)")
        }
        return p
    }
}
