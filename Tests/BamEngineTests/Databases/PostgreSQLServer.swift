import BamTestSupport
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 server of its own for one test: initdb and pg_ctl run
/// as the `postgres` OS user (PostgreSQL refuses root) on a data directory
/// and socket directory in a temporary directory owned by it, a port of
/// its own, no TCP. Stopped and removed in deinit.
final class PostgreSQLServer {
    static let bin = "/usr/lib/postgresql/15/bin"
    let tree: TestTree
    let port: Int
    var socketDirectory: String { tree.root }
    var dataDirectory: String { tree.root + "/data" }
    private var started = false

    private static let portLock = NSLock()
    nonisolated(unsafe) private static var nextPort = 55432 + Int(getpid() % 500) * 8

    private static func asPostgres(_ arguments: [String]) throws -> [String] {
        guard let pw = getpwnam("postgres") else { throw BamError.external("no postgres OS user: install postgresql (scripts/install-deps.sh)") }
        return ["/usr/bin/setpriv", "--reuid=\(pw.pointee.pw_uid)", "--regid=\(pw.pointee.pw_gid)", "--init-groups", "--"] + arguments
    }

    init(_ label: String) throws {
        tree = try TestTree("pgsql-\(label)")
        Self.portLock.lock()
        port = Self.nextPort
        Self.nextPort += 1
        Self.portLock.unlock()
        guard let pw = getpwnam("postgres") else { throw BamError.external("no postgres OS user: install postgresql (scripts/install-deps.sh)") }
        chown(tree.root, pw.pointee.pw_uid, pw.pointee.pw_gid)
        chmod(tree.root, 0o700)
        try ProcessRunner.check(
            try Self.asPostgres([
                Self.bin + "/initdb", "-D", dataDirectory, "-U", "postgres", "--auth=peer",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ]), directory: "/", environment: ["HOME": tree.root])
        let status = try QuietSpawn.run(
            try Self.asPostgres([
                Self.bin + "/pg_ctl", "-D", dataDirectory, "-l", tree.root + "/server.log", "-w", "-t", "60",
                "-o", "-k \(socketDirectory) -p \(port) -c listen_addresses='' -c fsync=off", "start",
            ]))
        guard status == 0 else {
            let log = (try? Posix.readFile(tree.root + "/server.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw BamError.external("pg_ctl start exited with \(status):\n\(log)")
        }
        started = true
    }

    deinit { stop() }

    func stop() {
        guard started else { return }
        started = false
        _ = try? QuietSpawn.run(try Self.asPostgres([Self.bin + "/pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "stop"]))
    }

    var settings: DatabaseSettings { DatabaseSettings(pgsqlHost: socketDirectory, pgsqlPort: port, pgsqlUser: "postgres") }

    /// Runs SQL as postgres in `database`; stops at the first error.
    @discardableResult
    func sql(_ text: String, database: String = "postgres") throws -> String {
        let outcome = try ProcessRunner.run(
            try Self.asPostgres([
                Self.bin + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "-d", database, "-c", text,
            ]),
            directory: "/", environment: ["HOME": tree.root])
        guard outcome.status == 0 else { throw BamError.external(ProcessRunner.failureMessage(outcome)) }
        return outcome.output
    }

    /// A plain, ordered dump of one database (pg_dump sorts objects and
    /// writes rows in physical order, so tables compared get ORDER BY
    /// queries in the tests as well).
    func orderedDump(_ database: String) throws -> String {
        let outcome = try ProcessRunner.run(
            try Self.asPostgres([
                Self.bin + "/pg_dump", "-h", socketDirectory, "-p", "\(port)", "-U", "postgres",
                "--no-sync", "--dbname=" + database,
            ]),
            directory: "/", environment: ["HOME": tree.root])
        guard outcome.status == 0 else { throw BamError.external(ProcessRunner.failureMessage(outcome)) }
        // pg_dump 15.14+ brackets its output with \restrict and a random key.
        return outcome.output.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict ") && !$0.hasPrefix("\\unrestrict ") }.joined(separator: "\n")
    }
}
