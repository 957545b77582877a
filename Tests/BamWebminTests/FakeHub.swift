import Foundation
import BamEngine
import BamTestSupport

/// A stand-in Hub for the index and key pages: `GET records/` answers with
/// `records` (JSON, as a hostile Hub might word it); every other call fails
/// with an HTML-looking error body, which pages must show escaped.
final class FakeHub {
    static let errorBody = "<b>not html</b> & more"
    private let server: TestServerProcess
    let url: String

    private static let script = """
        import http.server, sys
        port, records, failure = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
        class Hub(http.server.BaseHTTPRequestHandler):
            def answer(self, status, body):
                self.send_response(status)
                self.send_header('Content-Type', 'application/json' if status == 200 else 'text/plain')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                self.answer(200, records) if self.path.startswith('/api/backup/records/') else self.answer(500, failure)
            def do_PUT(self):
                self.answer(500, failure)
            do_POST = do_PUT
        http.server.HTTPServer(('127.0.0.1', port), Hub).serve_forever()
        """

    /// `directory`: where the server's log goes.
    init(records: String, directory: String) throws {
        let port = try TestServerProcess.freePort()
        server = try TestServerProcess(
            name: "fake Hub", argv: ["python3", "-c", Self.script, String(port), records, Self.errorBody],
            port: port, logPath: directory + "/fake-hub.log")
        url = "http://127.0.0.1:\(port)"
    }

    /// Links `registry` to this Hub as `bam init APIKEY` would (its URL and a
    /// subkey), with this server's own record `backupID` cached.
    func link(_ registry: Registry, backupID: String) throws {
        if !registry.isInitialised {
            let secret = try registry.initialise(force: false)
            try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: .v2))
        }
        try registry.saveHubLink(url: url, subkey: "SUBKEY")
        try HubBackupRegistration(address: "file:///nowhere", backupID: backupID, updated: "2026-11-27 10:00:00").save(in: registry)
    }
}
