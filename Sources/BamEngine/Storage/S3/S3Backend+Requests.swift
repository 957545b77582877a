import Crypto
import Foundation
import HTTP
import XML
#if canImport(Glibc)
import Glibc
#endif

/// Requests: signing, sending through the session pool, retries with
/// backoff, and the errors users see (never the credentials).
extension S3Backend {
    // MARK: Requests

    struct Call {
        var method: String
        /// The full key, prefix included; nil for requests on the bucket.
        var key: String?
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: HTTPBody = .none
        var payloadHash: String = SigV4Signer.emptyPayloadHash
        var destination: HTTPResponseDestination = .memory
    }

    func key(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw StorageError.failed(address: address, reason: "invalid object name \(name)")
        }
        return location.prefix + name
    }

    /// One signed request, without retries.
    func send(_ call: Call) throws -> HTTPResponse {
        var path = "/" + SigV4Signer.uriEncode(location.bucket, keepSlash: false)
        if let key = call.key { path += "/" + SigV4Signer.uriEncode(key, keepSlash: true) }
        let query = SigV4Signer.canonicalQuery(call.query)
        let signed = signer.sign(
            method: call.method, canonicalURI: path, query: call.query,
            headers: [("host", location.hostHeader)] + call.headers,
            payloadHash: call.payloadHash, date: Date())
        var headers: [(name: String, value: String)] = [("Host", location.hostHeader)]
        headers += call.headers.map { (name: $0.0, value: $0.1) }
        headers += signed
        let request = HTTPRequest(
            method: call.method, url: location.endpoint + path + (query.isEmpty ? "" : "?" + query),
            headers: headers, body: call.body, destination: call.destination,
            timeouts: HTTPTimeouts(
                connectSeconds: options.connectTimeoutSeconds,
                lowSpeedBytesPerSecond: 1,
                lowSpeedSeconds: options.stallTimeoutSeconds))
        var tlsRequest = request
        tlsRequest.tls = HTTPTLS(caFile: options.caFile)
        return try pool.perform(tlsRequest)
    }

    static let retryableCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
        "Throttling", "ThrottlingException", "RequestLimitExceeded",
    ]

    static func isRetryable(_ r: HTTPResponse) -> Bool {
        if r.status >= 500 || r.status == 429 { return true }
        if r.status == 400 || r.status == 403, let doc = S3ErrorDocument.parse(r.body) {
            return retryableCodes.contains(doc.code)
        }
        return false
    }

    /// Sends `call`, retrying transient failures; returns the last response
    /// whatever its status, or throws a `StorageError` when none arrived.
    func perform(_ call: Call, operation: String, name: String?, attempts: Int? = nil) throws -> HTTPResponse {
        try TransferRetry.run(
            maxAttempts: attempts ?? options.maxAttempts, backoff: backoff, retryAnswer: Self.isRetryable,
            retryError: { (error: HTTPError) in error.isTransient },
            fail: { failure($0, operation: operation, name: name, attempts: $1) }
        ) { try send(call) }
    }

    func backoff(_ attempt: Int) {
        let delay = min(options.retryMaxDelay, options.retryBaseDelay * pow(2, Double(attempt - 1)))
        guard delay > 0 else { return }
        Thread.sleep(forTimeInterval: Double.random(in: (delay / 2)...delay))
    }

    func describe(_ operation: String, _ name: String?) -> String {
        name.map { "\(operation) \($0)" } ?? operation
    }

    /// The error for a response that is not a success.
    func failure(_ r: HTTPResponse, operation: String, name: String?) -> StorageError {
        let doc = S3ErrorDocument.parse(r.body)
        let code = doc?.code ?? ""
        let detail: String
        if let doc, !doc.code.isEmpty {
            detail = doc.message.isEmpty ? "\(doc.code) (HTTP \(r.status))" : "\(doc.code) (HTTP \(r.status)): \(doc.message)"
        } else {
            detail = "HTTP \(r.status)"
        }
        let what = describe(operation, name)
        switch (r.status, code) {
        case (_, "NoSuchBucket"):
            return .notFound(address: address, name: "bucket \(location.bucket)")
        case (404, _):
            if let name, code != "NoSuchUpload" { return .notFound(address: address, name: name) }
            if code.isEmpty && name == nil { return .notFound(address: address, name: "bucket \(location.bucket)") }
            return .failed(address: address, reason: "\(what): \(detail)")
        case (_, "SignatureDoesNotMatch"):
            return .denied(address: address, reason: "\(what): the server rejected the request signature (SignatureDoesNotMatch): the secret key is wrong")
        case (_, "InvalidAccessKeyId"):
            return .denied(address: address, reason: "\(what): the server does not know the access key ID (InvalidAccessKeyId)")
        case (_, "ExpiredToken"), (_, "TokenRefreshRequired"):
            return .denied(address: address, reason: "\(what): the session token has expired (\(code))")
        case (_, "InvalidToken"):
            return .denied(address: address, reason: "\(what): the session token is not valid (InvalidToken)")
        case (_, "RequestTimeTooSkewed"):
            return .denied(address: address, reason: "\(what): this machine's clock differs too much from the server's (RequestTimeTooSkewed)")
        case (401, _), (403, _):
            if doc == nil {
                return .denied(address: address, reason: "\(what): access denied (HTTP \(r.status)): wrong access key or secret key, or no permission")
            }
            return .denied(address: address, reason: "\(what): access denied: \(detail)")
        case _ where Self.isRetryable(r):
            return .transient(address: address, reason: "\(what): \(detail)")
        default:
            return .failed(address: address, reason: "\(what): \(detail)")
        }
    }

    /// The error for a transfer that got no response.
    func failure(_ error: HTTPError, operation: String, name: String?, attempts: Int) -> StorageError {
        let what = describe(operation, name)
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        switch error.kind {
        case .couldNotResolve, .couldNotConnect:
            return .unreachable(address: address, reason: "\(what): cannot connect to \(location.hostHeader): \(error.message)\(tries)")
        case _ where error.isCertificateFailure:
            return .denied(address: address, reason: "\(what): \(error.certificateFailure(host: location.hostHeader))")
        case .tls where !error.isTransient:
            return .unreachable(address: address, reason: "\(what): TLS with \(location.hostHeader) failed: \(error.message)")
        case .localFile, .other:
            return .failed(address: address, reason: "\(what): \(error.message)")
        default:
            return .transient(address: address, reason: "\(what): \(error.message)\(tries)")
        }
    }
}
