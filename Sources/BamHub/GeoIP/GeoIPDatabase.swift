import Foundation

/// Country ranges from Tor's GeoIP files (Debian's tor-geoipdb):
/// `/usr/share/tor/geoip` has `FROM,TO,CC` lines with IPv4 addresses as
/// integers, `geoip6` the same with IPv6 addresses written out; `#` lines
/// are comments. Lookups are binary searches over the sorted ranges.
public struct GeoIPDatabase: Sendable {
    struct Range4: Sendable { let from: UInt32, to: UInt32, country: String }
    struct Range6: Sendable { let from: IPv6Value, to: IPv6Value, country: String }

    private var v4: [Range4] = []
    private var v6: [Range6] = []

    public static let defaultIPv4Path = "/usr/share/tor/geoip"
    public static let defaultIPv6Path = "/usr/share/tor/geoip6"

    /// No ranges: every address is unknown, so every client gets the default region.
    public static let empty = GeoIPDatabase(v4: [], v6: [])

    private init(v4: [Range4], v6: [Range6]) {
        self.v4 = v4
        self.v6 = v6
    }

    /// The ranges `bam-hub serve` routes by. A named IPv4 file (nil: the
    /// default) must be readable. The default file may be missing, as
    /// tor-geoipdb is only recommended: then nil, and the caller serves
    /// without GeoIP rather than not at all. A default file that is there
    /// but unreadable or malformed is still an error.
    public static func forServing(ipv4Path: String?, ipv6Path: String?) throws -> GeoIPDatabase? {
        if ipv4Path == nil && !FileManager.default.fileExists(atPath: defaultIPv4Path) { return nil }
        return try GeoIPDatabase(ipv4Path: ipv4Path ?? defaultIPv4Path, ipv6Path: ipv6Path)
    }

    /// Loads both files; a missing IPv6 file is allowed, a missing IPv4 one is not.
    public init(ipv4Path: String = defaultIPv4Path, ipv6Path: String? = defaultIPv6Path) throws {
        guard let data4 = FileManager.default.contents(atPath: ipv4Path) else {
            throw HubStoreError.invalid("cannot read GeoIP file \(ipv4Path) (install tor-geoipdb, or pass --geoip)")
        }
        var ranges4: [Range4] = []
        try Self.eachLine(data4, path: ipv4Path) { from, to, country in
            guard let a = UInt32(from), let b = UInt32(to) else { return false }
            ranges4.append(Range4(from: a, to: b, country: country))
            return true
        }
        v4 = ranges4.sorted { $0.from < $1.from }
        if let ipv6Path, let data6 = FileManager.default.contents(atPath: ipv6Path) {
            var ranges6: [Range6] = []
            try Self.eachLine(data6, path: ipv6Path) { from, to, country in
                guard let a = IPv6Value(from), let b = IPv6Value(to) else { return false }
                ranges6.append(Range6(from: a, to: b, country: country))
                return true
            }
            v6 = ranges6.sorted { $0.from < $1.from }
        }
    }

    /// Calls `body` with the three fields of each `FROM,TO,CC` line (bytes
    /// scanned directly: the files have over half a million lines).
    private static func eachLine(_ data: Data, path: String, _ body: (String, String, String) -> Bool) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0, lineNumber = 0
            while lineStart < bytes.count {
                var end = lineStart
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                lineNumber += 1
                if end > lineStart && bytes[lineStart] != UInt8(ascii: "#") {
                    var commas: [Int] = []
                    for i in lineStart..<end where bytes[i] == UInt8(ascii: ",") { commas.append(i) }
                    func text(_ a: Int, _ b: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self) }
                    guard commas.count == 2,
                        body(text(lineStart, commas[0]), text(commas[0] + 1, commas[1]), text(commas[1] + 1, end).uppercased())
                    else {
                        throw HubStoreError.invalid("\(path) line \(lineNumber): expected FROM,TO,CC")
                    }
                }
                lineStart = end + 1
            }
        }
    }

    public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }

    /// The ISO country code of `address`, or nil for unknown, private and
    /// malformed addresses (Tor's files use `??` for unassigned ranges).
    public func country(of address: String) -> String? {
        let found: String?
        if let ip = IPv4Value(address) {
            found = Self.search(v4, ip.value, from: { $0.from }, to: { $0.to })?.country
        } else if let ip = IPv6Value(address) {
            if let mapped = ip.mappedIPv4 {
                found = Self.search(v4, mapped, from: { $0.from }, to: { $0.to })?.country
            } else {
                found = Self.search(v6, ip, from: { $0.from }, to: { $0.to })?.country
            }
        } else {
            found = nil
        }
        guard let found, found.count == 2, found != "??" else { return nil }
        return found
    }

    private static func search<R, V: Comparable>(_ ranges: [R], _ value: V, from: (R) -> V, to: (R) -> V) -> R? {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if value < from(ranges[mid]) { high = mid - 1 } else if value > to(ranges[mid]) { low = mid + 1 } else { return ranges[mid] }
        }
        return nil
    }
}

struct IPv4Value {
    let value: UInt32

    init?(_ text: String) {
        var addr = in_addr()
        guard inet_pton(AF_INET, text, &addr) == 1 else { return nil }
        value = UInt32(bigEndian: addr.s_addr)
    }
}

struct IPv6Value: Comparable, Sendable {
    let high: UInt64
    let low: UInt64

    init?(_ text: String) {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &addr) { Array($0) }
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The IPv4 address of `::ffff:a.b.c.d`.
    var mappedIPv4: UInt32? {
        high == 0 && (low >> 32) == 0xffff ? UInt32(truncatingIfNeeded: low) : nil
    }

    static func < (a: IPv6Value, b: IPv6Value) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
