import BamTestSupport
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A MariaDB server of its own for one test: Debian's mariadbd on a data
/// directory and socket in a temporary directory, no networking, root
/// without a password (normal authentication, as a root account with a
/// password is set by the test that needs one). The data directory is
/// copied from one made once with mariadb-install-db, which is slow.
/// Stopped and removed in deinit. Missing tools fail the test.
final class MariaDBServer {
    let tree: TestTree
    var socket: String { tree.root + "/mysqld.sock" }
    var dataDirectory: String { tree.root + "/data" }
    /// A client defaults file for root (what debian.cnf holds).
    var defaultsFile: String { tree.root + "/client.cnf" }
    private var pid: pid_t = 0

    private static let templateLock = NSLock()
    nonisolated(unsafe) private static var template: String?

    static func templateDirectory() throws -> String {
        templateLock.lock()
        defer { templateLock.unlock() }
        if let template { return template }
        let base = ProcessInfo.processInfo.environment["BAM_TEST_TMP"] ?? NSTemporaryDirectory()
        let dir = try Posix.makeTemporaryDirectory(in: base, prefix: "bam-test-mariadb-template-")
        let install = try ChildProcess.which("mariadb-install-db", "mysql_install_db")
        let outcome = try ProcessRunner.run([
            install, "--no-defaults", "--datadir=" + dir + "/data", "--user=root",
            "--auth-root-authentication-method=normal", "--skip-test-db",
        ])
        guard outcome.status == 0 else { throw BamError.external(ProcessRunner.failureMessage(outcome)) }
        template = dir + "/data"
        // One per test process; removed when it exits.
        atexit { if let t = MariaDBServer.template { try? Posix.removeTree(Array((t as NSString).deletingLastPathComponent.utf8)) } }
        return dir + "/data"
    }

    init(_ label: String) throws {
        tree = try TestTree("mariadb-\(label)")
        let template = try Self.templateDirectory()
        try ProcessRunner.check(["/bin/cp", "-a", template, dataDirectory])
        let server = try ChildProcess.which("mariadbd", "mysqld")
        try Posix.writeFileAtomically(defaultsFile, Array("[client]\nuser=root\nsocket=\(socket)\n".utf8), mode: 0o600)
        let arguments = [
            server, "--no-defaults", "--user=root", "--datadir=" + dataDirectory, "--socket=" + socket,
            "--skip-networking", "--tmpdir=" + tree.root, "--pid-file=" + tree.root + "/mysqld.pid", "--log-error=" + tree.root + "/error.log",
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M", "--max-allowed-packet=64M",
        ]
        pid = try QuietSpawn.start(arguments)
        for _ in 0..<300 {
            if Posix.fileExists(socket), (try? sql("SELECT 1")) != nil { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                let log = (try? Posix.readFile(tree.root + "/error.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
                throw BamError.external("mariadbd exited while starting:\n\(log)")
            }
            usleep(100_000)
        }
        throw BamError.external("mariadbd did not become ready in 30 s")
    }

    deinit { stop() }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<600 {
            if waitpid(pid, &status, WNOHANG) == pid { pid = 0; return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        pid = 0
    }

    /// Runs SQL through the client as root; returns the rows, tab-separated.
    @discardableResult
    /// `comments`: keep comments in what is sent (program bodies keep them).
    func sql(_ text: String, defaults: String? = nil, comments: Bool = false) throws -> String {
        let client = try ChildProcess.which("mariadb", "mysql")
        let child = try ChildProcess(
            [
                client, "--defaults-file=" + (defaults ?? defaultsFile), "--default-character-set=utf8mb4",
                "--batch", "--skip-column-names",
            ] + (comments ? ["--comments"] : []), stdin: .pipe, stdout: .pipe)
        let input = Array(text.utf8)
        try input.withUnsafeBytes { try child.write($0) }
        child.closeStdin()
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(child.stdoutFD, $0.baseAddress!, 65536, path: "mariadb") }
            out.append(contentsOf: buffer[0..<n])
            if n < 65536 { break }
        }
        try child.check("mariadb")
        return String(decoding: out, as: UTF8.self)
    }

    /// An ordered dump of `databases` (rows by primary key, no dates, no
    /// AUTO_INCREMENT counters), for comparing servers; its SHA-256 is
    /// what round-trip tests compare, the text what they print on a difference.
    func orderedDump(_ databases: [String]) throws -> String {
        let tool = try ChildProcess.which("mariadb-dump", "mysqldump")
        let out = try ChildProcess.output(
            [
                tool, "--defaults-file=" + defaultsFile, "--default-character-set=utf8mb4",
                "--skip-dump-date", "--order-by-primary", "--routines", "--events", "--triggers",
                "--hex-blob", "--skip-extended-insert", "--compact", "--databases",
            ] + databases,
            what: "mariadb-dump")
        return String(decoding: out, as: UTF8.self)
            .replacingOccurrences(of: #" AUTO_INCREMENT=\d+"#, with: "", options: .regularExpression)
    }

    /// Users and their grants, sorted (what a restore must bring back).
    func grants(_ accounts: [(String, String)]) throws -> [String] {
        var lines: [String] = []
        for (user, host) in accounts {
            lines += try sql("SHOW GRANTS FOR '\(user)'@'\(host)';").split(separator: "\n").map(String.init)
        }
        return lines.sorted()
    }
}
