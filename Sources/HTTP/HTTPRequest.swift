/// What a request sends.
public enum HTTPBody {
    case none
    case bytes([UInt8])
    /// `length` bytes of the local file `path` from `offset` (a multipart
    /// part, or the whole file with offset 0), read as they are sent.
    case file(path: String, offset: Int64, length: Int64)

    public var length: Int64 {
        switch self {
        case .none: return 0
        case let .bytes(b): return Int64(b.count)
        case let .file(_, _, length): return length
        }
    }
}

/// Where a successful (2xx) response body goes. Bodies of other statuses
/// always go to memory, so an error document never lands in the file.
public enum HTTPResponseDestination {
    case memory
    /// Created (truncated) when the first byte of a 2xx body arrives, or
    /// empty after a 2xx without a body.
    case file(path: String)
    /// One range of a download in parts: a 206 Partial Content body is
    /// written into the existing file `path` from `offset` on, and nothing
    /// is created, truncated or removed. Any other body goes to memory, so
    /// a server that ignores the Range header cannot write the whole
    /// object over the file.
    case fileRegion(path: String, offset: Int64)
}

/// Connect and stall limits. A transfer slower than `lowSpeedBytesPerSecond`
/// for `lowSpeedSeconds` is abandoned as a timeout, so a stalled server never
/// hangs a backup; there is no limit on the total time of a healthy transfer.
public struct HTTPTimeouts: Equatable, Sendable {
    public var connectSeconds: Int
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int

    public init(connectSeconds: Int = 15, lowSpeedBytesPerSecond: Int = 1, lowSpeedSeconds: Int = 60) {
        self.connectSeconds = connectSeconds
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// How the server's certificate is checked. Verification is always on
/// (peer and host name); `caFile` replaces the system CA store with the
/// certificates of one PEM file (a private CA).
public struct HTTPTLS: Equatable, Sendable {
    public var caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile
    }
}

/// A user name and password handed to libcurl with setopt (never on a
/// command line); its descriptions hide the password.
public struct HTTPCredentials: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let user: String
    public let password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "user \(user) (password hidden)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["user": user], displayStyle: .struct) }
}

public struct HTTPRequest {
    public var method: String
    public var url: String
    /// Sent as given, in order; `Expect:` (empty) is always added.
    public var headers: [(name: String, value: String)]
    public var body: HTTPBody
    public var destination: HTTPResponseDestination
    public var timeouts: HTTPTimeouts
    public var tls = HTTPTLS()
    /// Sent with HTTP Basic authentication (or as the FTP login).
    public var credentials: HTTPCredentials?
    /// FTP only: commands sent after the transfer, on the same connection
    /// (`RNFR`/`RNTO` to publish an upload under its final name).
    public var postQuote: [String] = []
    /// FTP only: commands sent before the transfer (`DELE`).
    public var quote: [String] = []
    /// FTP only: require TLS on the control and data connections (explicit
    /// FTPS, `AUTH TLS`); the transfer fails if the server cannot.
    public var requireTLS = false
    /// FTP only: the byte range to fetch, as libcurl's `RANGE` (`"3-9"`),
    /// sent as `REST` (the end is enforced by libcurl).
    public var range: String?
    /// FTP only: create the URL's missing directories (`MKD`) on the way.
    public var createDirectories = false

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [],
        body: HTTPBody = .none, destination: HTTPResponseDestination = .memory,
        timeouts: HTTPTimeouts = HTTPTimeouts()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.destination = destination
        self.timeouts = timeouts
    }
}
