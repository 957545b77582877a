import Crypto
import Foundation

/// Random tokens and their stored form. API keys, subkeys and session
/// cookies are random; the database keeps only their SHA-256, so a leaked
/// database does not let anyone act as an appliance.
public enum Secrets {
    /// `bytes` random bytes as lowercase hex (from the system CSPRNG).
    public static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// An API key as users copy it, in the original Hub's format so that the
    /// original TKLBAM client accepts it: 12 random bytes in RFC 4648 base32
    /// (A-Z, 2-7), 20 characters without the `====` padding. That client
    /// checks a key itself before sending it (left-pads it with `A` to 20
    /// characters, appends `====`, decodes, and wants exactly 12 bytes), so
    /// any other shape is refused on the appliance. Keys issued before
    /// (40 hex characters) keep working: the store holds only hashes.
    public static func newApiKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return base32((0..<apiKeyBytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Random bytes in a new API key (the original Hub's 12).
    public static let apiKeyBytes = 12

    /// RFC 4648 base32, uppercase, without padding.
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[(buffer >> bits) & 31])
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex(_ text: String) -> String { hex(SHA256.hash(data: Array(text.utf8))) }

    /// Compares without an early exit, so timing does not reveal how much matched.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Hub dates as the original API wrote them: `YYYY-MM-DD HH:MM:SS`, UTC.
public enum HubDate {
    public static func format(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
