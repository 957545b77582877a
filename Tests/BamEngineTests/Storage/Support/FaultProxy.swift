import BamTestSupport
import Foundation

/// An HTTP proxy between the backend and the S3 server that injects faults
/// by a fixed plan, one action per request in turn (the plan repeats):
/// - `ok`: forward;
/// - `drop`: read the request, close the connection without answering;
/// - `500`, `503`: answer InternalError or SlowDown without forwarding;
/// - `deny`: answer 403 AccessDenied without forwarding;
/// - `lost`: forward, then close without answering (the server acted);
/// - `truncate`: forward, then send half the body and close;
/// - `stall`: say nothing for `stallSeconds`, then close.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    let journalPath: String
    private let base: String
    private let server: TestServerProcess

    private static let script = #"""
        import http.client, http.server, sys, threading, time
        upstream, port, plan, journal, stall = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4], float(sys.argv[5])
        lock = threading.Lock()
        count = [0]
        out = open(journal, "a", buffering=1)
        HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def error(self, status, code):
                xml = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test proxy</Message></Error>' % code).encode()
                self.send_response_only(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(xml)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(xml)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with lock:
                    action = plan[count[0] % len(plan)]
                    count[0] += 1
                    n = count[0]
                out.write("%d %s %s %s\n" % (n, action, self.command, self.path))
                if action == "drop":
                    self.close_connection = True
                    return
                if action == "stall":
                    time.sleep(stall)
                    self.close_connection = True
                    return
                if action == "500":
                    return self.error(500, "InternalError")
                if action == "503":
                    return self.error(503, "SlowDown")
                if action == "deny":
                    return self.error(403, "AccessDenied")
                conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in self.headers.items():
                    if k.lower() not in HOP:
                        conn.putheader(k, v)
                conn.endheaders(body if body else None)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if action == "lost":
                    self.close_connection = True
                    return
                self.send_response_only(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() in HOP or (k.lower() == "content-length" and self.command != "HEAD"):
                        continue
                    self.send_header(k, v)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if action == "truncate" and len(data) > 1:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        Server(("127.0.0.1", port), Handler).serve_forever()
        """#

    init(upstreamPort: Int, plan: [String], stallSeconds: Double = 5) throws {
        port = try TestServerProcess.freePort()
        base = NSTemporaryDirectory() + "bam-fault-proxy-\(getpid())-\(port)"
        journalPath = base + ".journal"
        let scriptPath = base + ".py"
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        server = try TestServerProcess(
            name: "fault-injecting proxy",
            argv: [
                "python3", scriptPath, String(upstreamPort), String(port),
                plan.joined(separator: ","), journalPath, String(stallSeconds),
            ],
            logPath: base + ".log")
        try server.waitForPort(port, timeout: 30)
    }

    /// The requests seen, one line each: `N ACTION METHOD PATH`.
    var journal: [String] {
        guard let data = FileManager.default.contents(atPath: journalPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func stop() {
        server.stop()
        for suffix in [".journal", ".py", ".log"] { unlink(base + suffix) }
    }
}
