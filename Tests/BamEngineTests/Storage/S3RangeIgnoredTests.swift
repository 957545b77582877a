import Foundation
import Testing
@testable import BamEngine

/// Some S3-speaking servers answer a ranged GET with the whole object (200,
/// not 206). bam must then keep only the range it asked for, and a part
/// written into a shared volume file must not overwrite the other parts.
/// moto honours Range, so this runs against a few lines of Python that
/// ignore it (and check no signature: what is tested is the fallback).
@Suite("S3 reads from a server that ignores Range")
struct S3RangeIgnoredTests {
    static let object: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }

    /// Serves `object` as every key, whole, whatever the Range header says.
    final class WholeObjectServer {
        let port: Int
        private let process: Process

        init(object: [UInt8], scratch: String) throws {
            let body = scratch + "/object", portFile = scratch + "/port"
            try Data(object).write(to: URL(fileURLWithPath: body))
            let script = """
                import http.server, sys
                body = open(sys.argv[1], 'rb').read()
                class Whole(http.server.BaseHTTPRequestHandler):
                    def answer(self, send_body):
                        self.send_response(200)
                        self.send_header('Content-Length', str(len(body)))
                        self.send_header('ETag', '"whole"')
                        self.end_headers()
                        if send_body: self.wfile.write(body)
                    def do_GET(self): self.answer(True)
                    def do_HEAD(self): self.answer(False)
                    def log_message(self, *args): pass
                server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Whole)
                open(sys.argv[2] + '.tmp', 'w').write(str(server.server_address[1]))
                import os; os.rename(sys.argv[2] + '.tmp', sys.argv[2])
                server.serve_forever()
                """
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, body, portFile]
            try process.run()
            var found: Int?
            for _ in 0..<200 where found == nil {
                found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
                if found == nil { usleep(25_000) }
            }
            guard let found else {
                kill(process.processIdentifier, SIGKILL)
                throw BamError.external("the test server did not start")
            }
            port = found
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func withServer(_ body: (S3Backend, String) throws -> Void) throws {
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-range-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let server = try WholeObjectServer(object: object, scratch: scratch)
        defer { server.stop() }
        let backend = try S3Backend(
            address: "s3+http://127.0.0.1:\(server.port)/bucket",
            credentials: S3Credentials(accessKey: "AKIATESTEXAMPLE", secretKey: "not-checked"))
        try body(backend, scratch)
    }

    @Test("a ranged read into a file keeps only the range")
    func rangeToFile() throws {
        try Self.withServer { backend, scratch in
            let path = scratch + "/part"
            try backend.get(name: "vol1", range: 1_000..<71_000, toFile: path)
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == Array(Self.object[1_000..<71_000]))
        }
    }

    @Test("a part written into a shared volume file lands at its offset and leaves the other bytes alone")
    func rangeIntoFileRegion() throws {
        try Self.withServer { backend, scratch in
            let path = scratch + "/volume"
            let filler = [UInt8](repeating: 0xEE, count: Self.object.count)
            try Data(filler).write(to: URL(fileURLWithPath: path))
            try backend.get(name: "vol1", range: 100_000..<200_000, intoFileAt: path)
            let file = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(file.count == Self.object.count)
            #expect(Array(file[100_000..<200_000]) == Array(Self.object[100_000..<200_000]))
            #expect(file[0..<100_000].allSatisfy { $0 == 0xEE } && file[200_000...].allSatisfy { $0 == 0xEE })
        }
    }
}
