import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Answers requests with the Hub's routes in this process, without a
/// server: for tests of what a route answers, where a listening socket
/// adds nothing (the connection limits and the real client's transport are
/// tested against `bam-hub serve`).
public struct HubInProcessClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPFields
        public var body: [UInt8]
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    private let responder: Router<HubRequestContext>.Responder
    private let logger = Logger(label: "bam-hub.in-process")

    public init(router: Router<HubRequestContext>) {
        responder = router.buildResponder()
    }

    /// `pathAndQuery` as a request line has it; the request comes from
    /// `peerAddress` as the channel would report it.
    public func call(
        _ method: HTTPRequest.Method, _ pathAndQuery: String, headers: HTTPFields = [:], body: [UInt8] = [],
        peerAddress: String? = "127.0.0.1"
    ) async throws -> Response {
        var fields = headers
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: pathAndQuery, headerFields: fields),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = HubRequestContext(logger: logger, peerAddress: peerAddress)
        let response: Hummingbird.Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            // What the server does with a route's HTTP error.
            response = try error.response(from: request, context: context)
        }
        let writer = CollectingWriter()
        try await response.body.write(writer)
        return Response(status: Int(response.status.code), headers: response.headers, body: writer.bytes)
    }

    private final class CollectingWriter: ResponseBodyWriter, @unchecked Sendable {
        private let lock = NSLock()
        private var collected: [UInt8] = []
        var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return collected }

        func write(_ buffer: ByteBuffer) async throws {
            lock.withLock { collected += buffer.readableBytesView }
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
