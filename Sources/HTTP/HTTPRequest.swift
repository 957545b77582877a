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

public struct HTTPRequest {
    public var method: String
    public var url: String
    /// Sent as given, in order; `Expect:` (empty) is always added.
    public var headers: [(name: String, value: String)]
    public var body: HTTPBody
    public var destination: HTTPResponseDestination
    public var timeouts: HTTPTimeouts

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
