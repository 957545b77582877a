/// `SCHEME://[USER@]HOST[:PORT]/PATH`, the address of a directory on a
/// file server (`webdav://`, `webdavs://`, `ftps://`). A password in the
/// address is refused: an address is shown in messages, kept in conf and
/// given on command lines, so passwords come from the environment or the
/// registry's `credentials` file instead.
public struct ServerPathAddress: Equatable, Sendable {
    public let scheme: String
    /// Percent-decoded; nil when the address names none.
    public let user: String?
    /// As written: a name, an IPv4 address or a bracketed IPv6 address.
    public let host: String
    public let port: Int?
    /// The directory's path segments, percent-decoded, none empty, `.` or `..`.
    public let segments: [String]

    public init(parsing address: String, schemes: [String]) throws {
        func bad(_ why: String) -> StorageError {
            .unsupported("invalid storage address \(Self.redacted(address)): \(why) (expected \(schemes[0])://[USER@]HOST[:PORT]/PATH)")
        }
        guard let scheme = schemes.first(where: { address.hasPrefix($0 + "://") }) else { throw bad("unknown scheme") }
        self.scheme = scheme
        guard !address.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == " " || $0 == "?" || $0 == "#" })
        else {
            throw bad("spaces, control characters, ? and # must be percent-encoded")
        }
        let rest = address.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var hostPort = Substring(authority)
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            guard !userInfo.contains(":") else {
                throw bad("a password does not belong in the address; give it in the environment or the registry's credentials file")
            }
            guard let user = Self.percentDecoded(userInfo), !user.isEmpty else { throw bad("the user name is empty or badly encoded") }
            self.user = user
            hostPort = authority[authority.index(after: at)...]
        } else {
            user = nil
        }
        var hostPart = hostPort
        var portPart: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw bad("unterminated [IPv6 address]") }
            hostPart = hostPort[...close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
            guard hostPart.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw bad("invalid IPv6 address")
            }
        } else {
            if let colon = hostPort.lastIndex(of: ":") {
                hostPart = hostPort[..<colon]
                portPart = hostPort[hostPort.index(after: colon)...]
            }
            guard hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else {
                throw bad("the host name may hold only letters, digits, dots, dashes and underscores")
            }
        }
        guard !hostPart.isEmpty else { throw bad("no host") }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port), portPart.allSatisfy(\.isNumber) else { throw bad("invalid port") }
            self.port = port
        } else {
            port = nil
        }
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = Self.percentDecoded(raw), !segment.isEmpty else { throw bad("badly encoded path") }
            guard segment != ".", segment != "..", !segment.contains("/"), !segment.contains("\0") else {
                throw bad("the path may not hold ., .., or an encoded / or NUL")
            }
            segments.append(segment)
        }
        self.segments = segments
    }

    /// The address with any password in it hidden, for messages.
    static func redacted(_ address: String) -> String {
        guard let schemeEnd = address.range(of: "://") else { return address }
        let rest = address[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return address }
        return String(address[..<schemeEnd.upperBound]) + authority[..<colon] + ":***" + authority[at...] + rest.dropFirst(authority.count)
    }

    /// `host:port` (or the host alone), for messages and URLs.
    public var hostPort: String { port.map { "\(host):\($0)" } ?? host }

    /// The directory's path, each segment percent-encoded, with a leading
    /// and a trailing slash (`/` for the root).
    public var encodedDirectory: String {
        segments.isEmpty ? "/" : "/" + segments.map(Self.percentEncoded).joined(separator: "/") + "/"
    }

    /// Every byte but the unreserved characters of RFC 3986 percent-encoded.
    public static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Nil when a `%` is not followed by two hex digits or the bytes are
    /// not UTF-8.
    public static func percentDecoded<S: StringProtocol>(_ text: S) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1]) else {
                    return nil
                }
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
