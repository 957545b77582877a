import BamTestSupport
import Foundation
import HTTP
import Testing
@testable import BamEngine

/// The S3 servers the storage tests run against: suites that must hold on
/// every S3 server take a kind as argument (`@Test(arguments: S3ServerKind.allCases)`).
enum S3ServerKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// moto: many APIs, strict signature checking through `MotoLaunch`.
    case moto
    /// `rclone serve s3`: the common subset, answering optional calls its own way.
    case rclone

    var testDescription: String { rawValue }

    /// The shared server of this kind; fails (never skips) when it cannot start.
    func server() throws -> any S3TestServer {
        switch self {
        case .moto: return try MotoServer.get()
        case .rclone: return try RcloneS3Server.get()
        }
    }
}

/// A running S3 server the tests may create buckets on and sign requests to.
protocol S3TestServer: AnyObject, Sendable {
    var kind: S3ServerKind { get }
    var port: Int { get }
    var credentials: S3Credentials { get }
    var counter: S3TestServerCounter { get }
}

extension S3TestServer {
    var hostPort: String { "127.0.0.1:\(port)" }

    /// A new, empty bucket.
    func makeBucket(_ hint: String) throws -> String {
        let bucket = "bam-\(hint)-\(counter.next())-\(UInt16.random(in: 0...UInt16.max))"
        let r = try request(method: "PUT", path: "/" + bucket)
        guard r.isSuccess else { throw TestServerError(description: "creating bucket \(bucket) on \(kind): HTTP \(r.status) \(r.bodyText)") }
        return bucket
    }

    /// A backend on a new bucket (or `bucket`), with quick retries.
    func backend(
        hint: String, bucket: String? = nil, prefix: String = "backups/host 1", options: S3Options = S3Options(),
        credentials: S3Credentials? = nil, port: Int? = nil
    ) throws -> S3Backend {
        let b = try bucket ?? makeBucket(hint)
        var o = options
        o.retryBaseDelay = min(o.retryBaseDelay, 0.05)
        o.retryMaxDelay = min(o.retryMaxDelay, 0.5)
        return try S3Backend(
            address: "s3+http://127.0.0.1:\(port ?? self.port)/\(b)/\(prefix)",
            credentials: credentials ?? self.credentials, options: o)
    }

    /// A signed request straight to the server.
    func request(
        method: String, path: String, query: [(String, String)] = [], body: [UInt8] = [],
        headers: [(String, String)] = []
    ) throws -> HTTPResponse {
        try S3TestServerRequest.signed(
            port, credentials, service: "s3", method: method, path: path, query: query,
            body: body, headers: headers)
    }
}

enum S3TestServerRequest {
    static func signed(
        _ port: Int, _ credentials: S3Credentials, service: String, method: String, path: String,
        query: [(String, String)], body: [UInt8], headers: [(String, String)]
    ) throws -> HTTPResponse {
        let host = "127.0.0.1:\(port)"
        let hash = SigV4Signer.sha256Hex(body)
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
        let added = signer.sign(
            method: method, canonicalURI: path, query: query, headers: [("host", host)] + headers,
            payloadHash: hash, date: Date())
        let q = SigV4Signer.canonicalQuery(query)
        let request = HTTPRequest(
            method: method, url: "http://\(host)\(path)\(q.isEmpty ? "" : "?" + q)",
            headers: [("Host", host)] + headers.map { (name: $0.0, value: $0.1) } + added,
            body: body.isEmpty ? .none : .bytes(body))
        return try HTTPSession().perform(request)
    }
}

final class S3TestServerCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// The shared `rclone serve s3` of a test run (see `RcloneLaunch`).
final class RcloneS3Server: S3TestServer, @unchecked Sendable {
    let kind = S3ServerKind.rclone
    let counter = S3TestServerCounter()
    let launch: RcloneLaunch
    var port: Int { launch.port }
    var credentials: S3Credentials { S3Credentials(accessKey: launch.accessKey, secretKey: launch.secretKey) }

    private static let shared = Result<RcloneS3Server, Error> { try RcloneS3Server() }
    static func get() throws -> RcloneS3Server { try shared.get() }

    private init() throws { launch = try RcloneLaunch() }
}
