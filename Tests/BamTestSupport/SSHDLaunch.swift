import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSH sshd on a free 127.0.0.1 port in a throwaway configuration:
/// a new ed25519 host key, one client key pair allowed to log in (as the
/// user the tests run as, root included), no passwords, the internal SFTP
/// server, starting in `data` (the home directory of a real login).
/// Everything lives in a new temporary directory (mode 0700): `clientKey`
/// for the client, `hostPublicKey` for a known_hosts line, `data` a
/// directory to store into.
///
/// Started through `TestServerProcess`, so it stops when `stop()` is
/// called or the test process exits. Fails (never skips) when sshd or
/// ssh-keygen is missing.
public final class SSHDLaunch: @unchecked Sendable {
    public let port: Int
    public let root: String
    /// The client's private key (ed25519, no passphrase, mode 0600).
    public let clientKey: String
    /// `ssh-ed25519 BASE64` of the server's host key.
    public let hostPublicKey: String
    public let user: String
    private let server: TestServerProcess

    public static let sshd = "/usr/sbin/sshd"

    /// `extraConfig`: sshd_config lines that win over the defaults here
    /// (sshd takes the first value of a keyword).
    public init(extraConfig: String = "") throws {
        for tool in [Self.sshd, "ssh-keygen"] where TestServerProcess.which(tool) == nil {
            throw TestServerError(
                description: "\(tool) is not installed: OpenSSH's server is needed by the SFTP tests "
                    + "(install openssh-server and openssh-client, see scripts/install-deps.sh)")
        }
        var template = Array((NSTemporaryDirectory() + "bam-sshd-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestServerError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        clientKey = root + "/client_ed25519"
        try Self.keygen(root + "/host_ed25519")
        try Self.keygen(clientKey)
        hostPublicKey = try Self.publicKey(root + "/host_ed25519.pub")
        let clientPublic = try String(contentsOfFile: clientKey + ".pub", encoding: .utf8)
        try Self.write(root + "/authorized_keys", clientPublic)
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        user = String(cString: getpwuid(geteuid()).pointee.pw_name)

        // sshd refuses to start without its privilege separation directory.
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        port = try TestServerProcess.freePort()
        let config =
            extraConfig + """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(root)/host_ed25519
                PidFile \(root)/sshd.pid
                AuthorizedKeysFile \(root)/authorized_keys
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                StrictModes no
                UsePAM no
                MaxStartups 64
                MaxSessions 64
                LogLevel VERBOSE
                Subsystem sftp internal-sftp -d \(root)/data

                """
        try Self.write(root + "/sshd_config", config)
        server = try TestServerProcess(
            name: "OpenSSH sshd", argv: [Self.sshd, "-D", "-e", "-f", root + "/sshd_config"], port: port,
            logPath: root + ".log")
    }

    /// A known_hosts line for this server.
    public var knownHostsLine: String { "[127.0.0.1]:\(port) \(hostPublicKey)\n" }

    /// `sftp://USER@127.0.0.1:PORT//ROOT/data/SUBDIR`: an absolute path.
    public func address(_ directory: String) -> String {
        "sftp://\(user)@127.0.0.1:\(port)/\(root)/data/\(directory)"
    }

    /// `sftp://USER@127.0.0.1:PORT/SUBDIR`: relative to the login's
    /// starting directory, which this server makes `ROOT/data` (as the
    /// home directory is on a real server), so it names the same place as
    /// `address(directory)`.
    public func relativeAddress(_ directory: String) -> String {
        "sftp://\(user)@127.0.0.1:\(port)/\(directory)"
    }

    /// The local path of a directory `address(directory)` names.
    public func dataPath(_ directory: String) -> String { root + "/data/" + directory }

    /// A new ed25519 key pair at `path` and `path.pub`, no passphrase.
    public static func keygen(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestServerProcess.which("ssh-keygen") ?? "/usr/bin/ssh-keygen")
        p.arguments = ["-q", "-t", "ed25519", "-N", "", "-C", "bam-test", "-f", path]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestServerError(description: "ssh-keygen failed for \(path)") }
    }

    /// `TYPE BASE64` of a `.pub` file (its comment left out).
    public static func publicKey(_ path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: " ").prefix(2).joined(separator: " ")
    }

    static func write(_ path: String, _ text: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TestServerError(description: "cannot write \(path)")
        }
    }

    public func stop() { server.stop() }

    /// Stops the server and removes its keys, configuration, data and log.
    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: root)
        try? FileManager.default.removeItem(atPath: root + ".log")
    }

    public func logTail(_ bytes: Int = 3000) -> String { server.logTail(bytes) }
}
