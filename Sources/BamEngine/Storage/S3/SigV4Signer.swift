import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// AWS Signature Version 4 for header-signed requests.
///
/// Canonical request: `METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED \n
/// PAYLOAD-HASH`. The URI is given already encoded (S3 encodes each path
/// segment once and keeps `/`); query keys and values are RFC 3986 encoded
/// and sorted; header names are lowercased, values trimmed, and `host`,
/// `x-amz-date` and `x-amz-content-sha256` always signed.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let algorithm = "AWS4-HMAC-SHA256"

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to the request: `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` (temporary credentials)
    /// and `Authorization`. `headers` must include `host`.
    public func sign(
        method: String, canonicalURI: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: Date
    ) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(date)
        var added: [(name: String, value: String)] = [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        let all = headers + added.map { ($0.name, $0.value) }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(all)
        let request = [
            method.uppercased(), canonicalURI, Self.canonicalQuery(query), canonicalHeaders, "",
            signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let signature = self.signature(canonicalRequest: request, amzDate: amzDate)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        added.append(("Authorization", "\(Self.algorithm) Credential=\(credentials.accessKey)/\(scope),SignedHeaders=\(signedHeaders),Signature=\(signature)"))
        return added
    }

    /// The hex signature of a canonical request made at `amzDate`.
    public func signature(canonicalRequest: String, amzDate: String) -> String {
        let toSign = stringToSign(canonicalRequest: canonicalRequest, amzDate: amzDate)
        let key = signingKey(dateStamp: String(amzDate.prefix(8)))
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
    }

    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        return [Self.algorithm, amzDate, scope, Self.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// HMAC chain: `"AWS4" + secret`, date, region, service, `aws4_request`.
    public func signingKey(dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretKey).utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// Lowercased, sorted `name:value` lines (values trimmed, inner runs of
    /// spaces collapsed, repeated names joined with commas) and the
    /// `;`-separated list of their names.
    public static func canonicalHeaders(_ headers: [(String, String)]) -> (String, String) {
        var merged: [String: String] = [:]
        for (name, value) in headers {
            let n = name.lowercased().trimmingCharacters(in: .whitespaces)
            let v = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            if let old = merged[n] { merged[n] = old + "," + v } else { merged[n] = v }
        }
        let names = merged.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return (names.map { "\($0):\(merged[$0]!)" }.joined(separator: "\n"), names.joined(separator: ";"))
    }

    /// `key=value` pairs, RFC 3986 encoded, sorted by key then value, joined
    /// by `&`; an empty value gives `key=`. Also the query string to send.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
            .sorted { a, b in
                a.0 != b.0
                    ? Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
                    : Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Percent-encodes every byte but `A-Z a-z 0-9 - _ . ~` (and `/` when
    /// `keepSlash`), with uppercase hex.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)\(two(tm.tm_mon + 1))\(two(tm.tm_mday))T\(two(tm.tm_hour))\(two(tm.tm_min))\(two(tm.tm_sec))Z"
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 { Hex.lowercase(bytes) }
}
