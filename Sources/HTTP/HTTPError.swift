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
}
