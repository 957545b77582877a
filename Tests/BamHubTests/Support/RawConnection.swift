import BamTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP connection to the Hub from a chosen local address (Linux
/// routes all of 127/8 to lo, so 127.0.0.2 is a second client), for tests
/// that hold connections open, send half a request, or time an answer.
/// Every wait is bounded; the socket closes when the object goes.
final class RawConnection {
    let fd: Int32
    let opened = Date()

    init(from source: String, port: Int, timeout: TimeInterval = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError(description: "socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        // Bounds a blocking connect (and every send/recv) on Linux.
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        do {
            var local = try Self.address(source, port: 0)
            try Self.check(
                "bind \(source)",
                withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                })
            var remote = try Self.address("127.0.0.1", port: port)
            try Self.check(
                "connect from \(source)",
                withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                })
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestServerError(description: "send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Whether the server has closed its side (end of file or reset); reads
    /// and drops whatever it sent before. Never waits.
    func serverClosed() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            if n == 0 { return true }
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
        }
    }

    /// Reads one response (head plus Content-Length bytes of body) within
    /// `timeout`; nil if the connection closed or the time ran out first.
    func readResponse(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, min(200, deadline.timeIntervalSinceNow * 1000)))
            guard poll(&ready, 1, wait) >= 0 else { return nil }
            if ready.revents == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return nil }
            received += buffer[0..<n]
            let text = String(decoding: received, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound].lowercased()
            let length =
                head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if text[end.upperBound...].utf8.count >= length { return text }
        }
        return nil
    }

    private static func address(_ ip: String, port: Int) throws -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, ip, &a.sin_addr) == 1 else { throw TestServerError(description: "bad IPv4 address \(ip)") }
        return a
    }

    private static func check(_ what: String, _ result: Int32) throws {
        guard result == 0 else { throw TestServerError(description: "\(what): \(String(cString: strerror(errno)))") }
    }
}
