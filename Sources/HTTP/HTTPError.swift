/// A transfer that did not produce a complete HTTP response.
public struct HTTPError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        case couldNotResolve
        case couldNotConnect
        case timeout
        /// The connection broke: reset, nothing received, send or receive error.
        case connectionLost
        /// The body ended before its announced length.
        case partialBody
        case tls
        /// Reading the request body or writing the response to a local file.
        case localFile
        case other
    }

    public let kind: Kind
    /// The libcurl code, or 0 for errors raised here.
    public let code: Int
    public let message: String

    public init(kind: Kind, code: Int, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// Whether trying again may succeed.
    public var isTransient: Bool {
        switch kind {
        case .couldNotResolve, .couldNotConnect, .timeout, .connectionLost, .partialBody: return true
        case .tls: return code == 35  // a handshake cut short; a bad certificate stays bad
        case .localFile, .other: return false
        }
    }

    public var description: String { message }

    /// Whether the server's certificate was refused (expired, unknown
    /// issuer, a name that does not match) or the CA file could not be
    /// used: never transient, and never worked around.
    public var isCertificateFailure: Bool { code == 60 || code == 51 || code == 77 || code == 83 || code == 90 || code == 91 }

    /// "certificate verification failed for HOST: WHY", WHY being libcurl's
    /// own account (`certificate has expired`, `unable to get local issuer
    /// certificate`, `no alternative certificate subject name matches`).
    public func certificateFailure(host: String) -> String {
        var why = message
        for prefix in ["SSL certificate problem: ", "SSL: "] where why.hasPrefix(prefix) { why.removeFirst(prefix.count) }
        if code == 77 { return "the CA file for \(host) cannot be used: \(why)" }
        return "certificate verification failed for \(host): \(why)"
    }
}
