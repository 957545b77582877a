public struct HTTPResponse {
    public let status: Int
    /// Headers of the final response (not of `100 Continue`), in order.
    public let headers: [(name: String, value: String)]
    /// The body when it went to memory (always for non-2xx statuses).
    public let body: [UInt8]
    /// Bytes of body written to the destination file.
    public let bytesWritten: Int64

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], bytesWritten: Int64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesWritten = bytesWritten
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
