import Foundation
import HTTP

/// The Hub's HTTP API (`<hub>/api/backup/`) as plain calls: GET parameters
/// in the query string, POST/PUT bodies form-urlencoded, JSON answers, and
/// the `subkey` header on every call but `subkey/`. Secrets (API key,
/// subkey) travel only in this process's requests, never in argv or logs;
/// `description` shows the URL alone.
public final class HubClient: CustomStringConvertible {
    /// The Hub's base URL as the user gave it (`https://hub.example`).
    public let url: String
    /// This server's subkey; nil before `bam init` obtained one.
    public let subkey: String?
    private let session: HTTPSession
    private let timeouts: HTTPTimeouts
    /// CA certificates (a PEM file) that replace the system store; nil:
    /// the system store. The Hub's certificate is always checked.
    public let caFile: String?

    /// The URL `bam init` uses without `--hub`: `$BAM_HUB_URL`, else a
    /// placeholder that fails clearly until a real Hub is configured.
    public static let placeholderURL = "https://hub.bam.invalid"

    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["BAM_HUB_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? placeholderURL
    }

    public init(
        url: String, subkey: String?, timeouts: HTTPTimeouts = HTTPTimeouts(connectSeconds: 10, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 30),
        caFile: String? = nil
    ) throws {
        let trimmed = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") else {
            throw BamError.invalid("the Hub URL must start with http:// or https://: \(url)")
        }
        self.url = trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed
        self.subkey = subkey
        self.session = try HTTPSession()
        self.timeouts = timeouts
        self.caFile = caFile
    }

    public var description: String { "Hub \(url)" }

    /// The host of an http(s) URL, for messages.
    static func host(of url: String) -> String {
        let rest = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard rest.count > 2 else { return url }
        let authority = rest[2].split(separator: "@").last ?? rest[2]
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") { return String(authority[...close]) }
        return String(authority.split(separator: ":").first ?? authority)
    }

    /// Sent on every call so that bam-hub answers in bam's shapes: a
    /// `file://` region's credentials as type `none`, plain-HTTP addresses
    /// as `s3+http://`, records with `inprogress` and `skpp`. Without it
    /// bam-hub answers exactly as the original Hub did, which the original
    /// TKLBAM client needs (its credential types take no other fields).
    public static let bamClientHeader = (name: "X-Bam-Client", value: "1")

    /// The API base, `<hub>/api/backup/`.
    public var apiBase: String { url + "/api/backup/" }

    /// GET `path` (relative to the API base) with `parameters` in the query.
    public func get(_ path: String, _ parameters: [(String, String)] = []) throws -> Any? {
        let query = Self.formEncode(parameters)
        return try call("GET", path, url: apiBase + path + (query.isEmpty ? "" : "?" + query), body: nil)
    }

    /// POST `path` with a form-urlencoded body.
    public func post(_ path: String, _ parameters: [(String, String)]) throws -> Any? {
        try call("POST", path, url: apiBase + path, body: Self.formEncode(parameters))
    }

    /// PUT `path` with a form-urlencoded body.
    public func put(_ path: String, _ parameters: [(String, String)]) throws -> Any? {
        try call("PUT", path, url: apiBase + path, body: Self.formEncode(parameters))
    }

    private func call(_ method: String, _ path: String, url: String, body: String?) throws -> Any? {
        var headers: [(name: String, value: String)] = [("Accept", "application/json"), Self.bamClientHeader]
        if let subkey, path != "subkey/" { headers.append(("subkey", subkey)) }
        if body != nil { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        var request = HTTPRequest(
            method: method, url: url, headers: headers,
            body: body.map { .bytes(Array($0.utf8)) } ?? .none, timeouts: timeouts)
        request.tls = HTTPTLS(caFile: caFile)
        let response: HTTPResponse
        do {
            response = try session.perform(request)
        } catch let error as HTTPError where error.isCertificateFailure {
            // Not "unreachable": no command may fall back to cached answers
            // from a Hub whose identity did not check out.
            throw HubError.untrusted(url: self.url, reason: error.certificateFailure(host: Self.host(of: self.url)))
        } catch let error as HTTPError {
            throw HubError.unreachable(url: self.url, reason: error.message)
        }
        guard response.isSuccess else {
            throw HubError.fromResponse(status: response.status, body: response.bodyText)
        }
        if response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        } catch {
            throw HubError.badResponse(call: "\(method) \(path)", reason: "not JSON")
        }
    }

    /// `application/x-www-form-urlencoded`: unreserved characters as they
    /// are, everything else (Base64's `+ / =` included) percent-encoded.
    public static func formEncode(_ parameters: [(String, String)]) -> String {
        parameters.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
