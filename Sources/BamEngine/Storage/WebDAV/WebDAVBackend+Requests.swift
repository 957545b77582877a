import Foundation
import HTTP

/// Requests: sending through the session pool, retries with backoff on
/// what may pass, and the errors users see (never the password).
extension WebDAVBackend {
    static func isRetryable(_ status: Int) -> Bool { status == 502 || status == 503 || status == 504 || status == 429 }

    /// Sends one request, retrying transient failures; returns the last
    /// response whatever its status, or throws a `StorageError` when none
    /// arrived.
    func perform(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: HTTPBody = .none,
        destination: HTTPResponseDestination = .memory, operation: String, name: String?, attempts: Int? = nil
    ) throws -> HTTPResponse {
        var request = HTTPRequest(
            method: method, url: url, headers: headers.map { (name: $0.0, value: $0.1) }, body: body, destination: destination)
        request.tls = tls
        request.credentials = credentials
        return try TransferRetry.run(
            maxAttempts: attempts ?? maxAttempts, backoff: backoff, retryAnswer: { Self.isRetryable($0.status) },
            retryError: { (error: HTTPError) in error.isTransient },
            fail: { failure($0, operation: operation, name: name, attempts: $1) }
        ) { try pool.perform(request) }
    }

    func backoff(_ attempt: Int) {
        let delay = min(8, 0.25 * pow(2, Double(attempt - 1)))
        Thread.sleep(forTimeInterval: Double.random(in: (delay / 2)...delay))
    }

    /// The error for a response that is not the success expected.
    func failure(_ r: HTTPResponse, operation: String, name: String?) -> StorageError {
        let what = name.map { "\(operation) \($0)" } ?? operation
        let detail = "HTTP \(r.status)"
        switch r.status {
        case 404 where name != nil && operation == "reading":
            return .notFound(address: address, name: name ?? "")
        case 404, 409:
            // 409 on PUT or MKCOL: a parent collection is missing.
            return .failed(address: address, reason: "\(what): \(detail): the collection \(location.encodedDirectory) does not exist on \(location.hostPort)")
        case 401:
            return .denied(
                address: address,
                reason: credentials == nil
                    ? "\(what): the server asks for a login (HTTP 401): set BAM_WEBDAV_USER and BAM_WEBDAV_PASSWORD, or webdav-user= and webdav-password= in the registry's credentials file"
                    : "\(what): the server refused user \(credentials?.user ?? "") (HTTP 401): wrong user or password")
        case 403:
            return .denied(address: address, reason: "\(what): access denied (HTTP 403)")
        case 507:
            return .failed(address: address, reason: "\(what): the server has no room left (HTTP 507)")
        case _ where Self.isRetryable(r.status) || r.status >= 500:
            return .transient(address: address, reason: "\(what): \(detail)")
        default:
            return .failed(address: address, reason: "\(what): \(detail)")
        }
    }

    /// The error for a transfer that got no response.
    func failure(_ error: HTTPError, operation: String, name: String?, attempts: Int) -> StorageError {
        let what = name.map { "\(operation) \($0)" } ?? operation
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        if error.isCertificateFailure {
            return .denied(address: address, reason: "\(what): \(error.certificateFailure(host: location.host))")
        }
        switch error.kind {
        case .couldNotResolve, .couldNotConnect:
            return .unreachable(address: address, reason: "\(what): cannot connect to \(location.hostPort): \(error.message)\(tries)")
        case .tls where !error.isTransient:
            return .unreachable(address: address, reason: "\(what): TLS with \(location.hostPort) failed: \(error.message)")
        case .localFile, .other:
            return .failed(address: address, reason: "\(what): \(error.message)")
        default:
            return .transient(address: address, reason: "\(what): \(error.message)\(tries)")
        }
    }
}
