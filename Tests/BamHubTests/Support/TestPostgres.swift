import BamTestSupport
import BamHub
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 server of the test run's own: a fresh cluster in a
/// temporary directory, listening on a free 127.0.0.1 port and a socket in
/// that directory, run as the `postgres` OS user (PostgreSQL refuses root)
/// through `setpriv`, so the server is a direct child that stops with the
/// run. Each test gets its own database. Fails, never skips, when
/// PostgreSQL is not installed (scripts/install-deps.sh installs it).
final class TestPostgres: @unchecked Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"
    let port: Int
    let directory: String
    private let server: TestServerProcess
    private let lock = NSLock()
    private var databases = 0

    private static let shared = Result<TestPostgres, Error> { try TestPostgres() }
    static func get() throws -> TestPostgres { try shared.get() }

    private init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.bin + "/initdb") else {
            throw TestServerError(description: "PostgreSQL 15 is not installed (\(Self.bin)/initdb missing): apt-get install postgresql")
        }
        Self.removeStaleClusters()
        directory = try Self.makeDirectory()
        let data = directory + "/data"
        try Self.runAsPostgres([Self.bin + "/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        port = try TestServerProcess.freePort()
        server = try TestServerProcess(
            name: "PostgreSQL",
            argv: [
                "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                Self.bin + "/postgres", "-D", data, "-k", directory, "-p", String(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            ],
            logPath: directory + "/server.log")
        try server.waitForPort(port)
        // Accepting TCP comes slightly before accepting logins: retry briefly.
        var lastError: Error?
        for _ in 0..<50 {
            do { _ = try PostgresConnection(url: adminURL); return } catch { lastError = error; usleep(100_000) }
        }
        throw TestServerError(description: "PostgreSQL on port \(port) refuses connections: \(lastError.map { "\($0)" } ?? "")")
    }

    var adminURL: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// A new, empty database; returns its URL.
    func makeDatabase() throws -> String {
        lock.lock()
        databases += 1
        let name = "hub\(databases)"
        lock.unlock()
        let admin = try PostgresConnection(url: adminURL)
        try admin.executeScript("CREATE DATABASE \(name)")
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Clusters of earlier runs: their server stopped with its run, so a
    /// directory whose postmaster.pid names no live process is left over.
    private static func removeStaleClusters() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for name in names where name.hasPrefix("bam-hub-pg-") {
            let dir = "/tmp/" + name
            let pidText = (try? String(contentsOfFile: dir + "/data/postmaster.pid", encoding: .utf8))?.split(separator: "\n").first
            if let pid = pidText.flatMap({ Int32($0) }), kill(pid, 0) == 0 { continue }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/bam-hub-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestServerError(description: "mkdtemp failed") }
        let path = String(cString: made)
        guard let pw = getpwnam("postgres") else { throw TestServerError(description: "no postgres OS user (install postgresql)") }
        chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        chmod(path, 0o700)
        return path
    }

    private static func runAsPostgres(_ argv: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups"] + argv
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        try process.run()
        let text = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError(description: "\(argv[0]) failed: \(String(decoding: text, as: UTF8.self))")
        }
    }
}
