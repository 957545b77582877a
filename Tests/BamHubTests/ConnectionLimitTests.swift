import BamTestSupport
import Foundation
import Testing

/// `bam-hub serve` against connections that never finish: idle and
/// half-open ones from one address are capped and timed out, and other
/// clients keep getting answers. Short timeouts here; every wait is bounded.
@Suite("Hub connection limits", .serialized)
struct ConnectionLimitTests {
    static let headerTimeout = 3.0
    static let idleTimeout = 6.0
    static let limits = ["--header-timeout", "3", "--idle-timeout", "6"]

    /// `GET path` from `source` on a fresh connection: the status line (nil
    /// if none came within `timeout`) and how long it took.
    static func ask(
        _ hub: HubTestServer, from source: String, path: String = "/signin",
        timeout: TimeInterval = 10
    ) throws -> (status: String?, seconds: TimeInterval) {
        let start = Date()
        let connection = try RawConnection(from: source, port: hub.port)
        try connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let response = connection.readResponse(timeout: timeout)
        return (response?.components(separatedBy: "\r\n").first, Date().timeIntervalSince(start))
    }

    /// Polls until the server has closed every connection or `deadline`
    /// passes; for each, the seconds from its opening to its closing.
    static func closings(_ connections: [RawConnection], until deadline: Date) -> [TimeInterval?] {
        var closedAfter = [TimeInterval?](repeating: nil, count: connections.count)
        while Date() < deadline && closedAfter.contains(where: { $0 == nil }) {
            for (i, c) in connections.enumerated() where closedAfter[i] == nil && c.serverClosed() {
                closedAfter[i] = Date().timeIntervalSince(c.opened)
            }
            usleep(50_000)
        }
        return closedAfter
    }

    @Test(
        "300 idle and half-open connections from one address: 64 held, the rest closed at once, all closed after the header timeout; a second address is answered at once"
    )
    func floodFromOneAddress() throws {
        let hub = try HubTestServer("limits", database: .sqlite)
        // Few descriptors, as under systemd's default: without the caps the
        // flood uses them all and the Hub stops accepting anyone.
        try hub.start(extra: Self.limits + ["--max-connections-per-address", "64"], openFileLimit: 256)
        #expect(try Self.ask(hub, from: "127.0.0.2").status == "HTTP/1.1 200 OK")

        var flood: [RawConnection] = []
        for i in 0..<300 {
            let connection = try RawConnection(from: "127.0.0.1", port: hub.port)
            // Half send the start of a request head and never finish it.
            if i % 2 == 1 { try? connection.send("GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") }
            flood.append(connection)
        }
        usleep(500_000)
        let refused = flood.filter { $0.serverClosed() }
        let refusedLatest = refused.map { Date().timeIntervalSince($0.opened) }.max() ?? 0
        #expect(flood.count - refused.count == 64, "the Hub holds \(flood.count - refused.count) connections from one address")
        #expect(refusedLatest < Self.headerTimeout - 1, "connections over the cap were not closed at once")

        // The flood is held open; another client is answered promptly.
        for _ in 0..<5 {
            let (status, seconds) = try Self.ask(hub, from: "127.0.0.2")
            #expect(status == "HTTP/1.1 200 OK")
            #expect(seconds < 2, "the second client waited \(seconds) s")
        }

        let held = flood.filter { !$0.serverClosed() }
        let closedAfter = Self.closings(held, until: Date().addingTimeInterval(Self.headerTimeout + 4))
        for (i, after) in closedAfter.enumerated() {
            let after = try #require(after, "held connection \(i) is still open after the header timeout")
            #expect(after > Self.headerTimeout - 0.5 && after < Self.headerTimeout + 3, "held connection \(i) closed after \(after) s")
        }
        #expect(try Self.ask(hub, from: "127.0.0.1").status == "HTTP/1.1 200 OK", "the flooding address is served again once its connections closed")
    }

    @Test("a kept-alive connection is closed after the idle timeout, not the header timeout; a stalled body too")
    func keepAliveIdle() throws {
        let hub = try HubTestServer("idle", database: .sqlite)
        try hub.start(extra: Self.limits)
        let kept = try RawConnection(from: "127.0.0.2", port: hub.port)
        try kept.send("GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try #require(kept.readResponse(timeout: 5))
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        // A request whose head came but whose body stalls.
        let stalled = try RawConnection(from: "127.0.0.2", port: hub.port)
        try stalled.send("POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=")

        let closedAfter = Self.closings([kept, stalled], until: Date().addingTimeInterval(Self.idleTimeout + 4))
        for (label, after) in zip(["kept-alive", "stalled body"], closedAfter) {
            let after = try #require(after, "the \(label) connection is still open after the idle timeout")
            #expect(after > Self.idleTimeout - 0.5 && after < Self.idleTimeout + 3, "the \(label) connection closed after \(after) s")
        }
    }

    @Test("over the total cap new connections wait until a timeout frees a slot")
    func totalCap() throws {
        let hub = try HubTestServer("total", database: .sqlite)
        try hub.start(extra: Self.limits + ["--max-connections", "8", "--max-connections-per-address", "0"])
        var idle: [RawConnection] = []
        for _ in 0..<8 { idle.append(try RawConnection(from: "127.0.0.1", port: hub.port)) }
        usleep(500_000)
        #expect(!idle.contains { $0.serverClosed() }, "with no per-address cap all 8 are held")
        let (status, seconds) = try Self.ask(hub, from: "127.0.0.2")
        #expect(status == "HTTP/1.1 200 OK")
        #expect(seconds > Self.headerTimeout - 1.5 && seconds < Self.headerTimeout + 3, "answered after \(seconds) s")
    }

    @Test("serve refuses limits out of range")
    func badOptions() throws {
        let hub = try HubTestServer("options", database: .sqlite)
        for option in [
            ["--idle-timeout", "86401"], ["--header-timeout=-1"], ["--max-connections", "1000001"],
            ["--max-connections-per-address=-5"],
        ] {
            let r = try hub.admin(["serve", "--listen", "127.0.0.1:0"] + option)
            #expect(r.status == 64, "\(option): \(r.stderr)")
            #expect(r.stderr.contains(String(option[0].split(separator: "=")[0])), "\(option): \(r.stderr)")
        }
    }
}
