import Foundation
import HTTP

/// Requests: TLS required on every connection, retries with backoff on
/// what may pass, and the errors users see (never the password).
extension FTPSBackend {
    func request(
        _ method: String, _ url: String, body: HTTPBody = .none, destination: HTTPResponseDestination = .memory
    ) -> HTTPRequest {
        var request = HTTPRequest(method: method, url: url, body: body, destination: destination)
        request.requireTLS = true
        request.tls = tls
        request.credentials = credentials
        return request
    }

    func perform(_ request: HTTPRequest, operation: String, name: String?, attempts: Int? = nil) throws -> HTTPResponse {
        try TransferRetry.run(
            maxAttempts: attempts ?? maxAttempts,
            backoff: { attempt in
                let delay = min(8, 0.25 * pow(2, Double(attempt - 1)))
                Thread.sleep(forTimeInterval: Double.random(in: (delay / 2)...delay))
            },
            retryError: Self.isTransient, fail: { failure($0, operation: operation, name: name, attempts: $1) }
        ) { try pool.perform(request) }
    }

    /// libcurl's transient kinds, and FTP's "try again later" replies
    /// (421 too many connections comes as a failed connect or login).
    static func isTransient(_ error: HTTPError) -> Bool {
        error.isTransient
    }

    func failure(_ error: HTTPError, operation: String, name: String?, attempts: Int) -> StorageError {
        let what = name.map { "\(operation) \($0)" } ?? operation
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        if error.isCertificateFailure {
            return .denied(address: address, reason: "\(what): \(error.certificateFailure(host: location.host))")
        }
        switch error.code {
        case 78 where name != nil:  // CURLE_REMOTE_FILE_NOT_FOUND
            return .notFound(address: address, name: name ?? "")
        case 67:  // CURLE_LOGIN_DENIED
            return .denied(
                address: address,
                reason: credentials == nil
                    ? "\(what): the server refused an anonymous login: set BAM_FTP_USER and BAM_FTP_PASSWORD, or ftp-user= and ftp-password= in the registry's credentials file"
                    : "\(what): the server refused user \(credentials?.user ?? ""): wrong user or password")
        case 64:  // CURLE_USE_SSL_FAILED
            return .denied(
                address: address, reason: "\(what): \(location.hostPort) does not offer TLS (AUTH TLS); bam does not send passwords or backups over plain FTP")
        case 9:  // CURLE_REMOTE_ACCESS_DENIED: CWD refused
            return .failed(
                address: address, reason: "\(what): the directory \(location.encodedDirectory) does not exist or may not be entered: \(error.message)")
        case 21, 25:  // a QUOTE command or STOR refused
            return .failed(address: address, reason: "\(what): \(error.message)")
        default: break
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
