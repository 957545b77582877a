#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Backs up a PostgreSQL server into a pgfs tree (see `PgFSLayout`) and
/// restores one. The tools run as the configured OS user (`postgres` by
/// default, switched to with setpriv when bam runs as root), over the unix
/// socket, so peer authentication needs no password anywhere.
struct PostgreSQLDatabases {
    let settings: DatabaseSettings

    var host: String { settings.pgsqlHost ?? "/var/run/postgresql" }
    var port: Int { settings.pgsqlPort ?? 5432 }
    var user: String { settings.pgsqlUser ?? "postgres" }

    static let howToLeaveOut = "leave it out with --skip-database or a limit such as -pgsql:DB"

    private var connection: [String] { ["--host=" + host, "--port=\(port)", "--username=" + user] }

    /// The command prefix that runs a tool as `user`, and its environment.
    private func asUser(_ tool: String) throws -> ([String], [String: String]) {
        let path = try Self.tool(tool)
        guard geteuid() == 0, user != "root" else { return ([path], [:]) }
        guard let pw = getpwnam(user) else {
            throw BamError.invalid("PostgreSQL OS user '\(user)' does not exist (set pgsql-user in the conf)")
        }
        let home = String(cString: pw.pointee.pw_dir)
        return (
            ["/usr/bin/setpriv", "--reuid=\(pw.pointee.pw_uid)", "--regid=\(pw.pointee.pw_gid)", "--init-groups", "--", path],
            ["HOME": home, "USER": user, "LOGNAME": user]
        )
    }

    private func run(_ tool: String, _ arguments: [String], stdin: ChildProcess.Input = .null, stdout: ChildProcess.Output = .pipe) throws -> ChildProcess {
        let (prefix, env) = try asUser(tool)
        return try ChildProcess(prefix + arguments, stdin: stdin, stdout: stdout, environment: env)
    }

    func psql(_ sql: String, database: String = "postgres") throws -> [String] {
        let (prefix, env) = try asUser("psql")
        let out = try ChildProcess.output(
            prefix + ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"] + connection + ["--dbname=" + database, "-c", sql],
            environment: env,
            what: "PostgreSQL query failed (is the server running on \(host) port \(port)?)")
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The databases bam backs up (not postgres, template0, template1).
    func databases() throws -> [String] {
        try psql("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
            .filter { !PgFSLayout.skipped.contains($0) }
    }

    /// Dumps the globals and the selected databases into `pgfs`; returns
    /// the databases dumped.
    func backup(to pgfs: String, selection: DatabaseSelection) throws -> [String] {
        let all: [String]
        do { all = try databases() } catch {
            throw BamError.external("PostgreSQL backup failed: cannot list the databases: \(error); \(Self.howToLeaveOut)")
        }
        try Posix.makeDirectories(pgfs, mode: 0o700)
        let globals = try run("pg_dumpall", connection + ["--globals-only", "--no-password"])
        let writer = try BufferedFileWriter(creating: pgfs + "/" + PgFSLayout.globalsFile)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(globals.stdoutFD, $0.baseAddress!, $0.count, path: "pg_dumpall") }
            try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if n < buffer.count { break }
        }
        try writer.close()
        try globals.check("PostgreSQL backup failed: pg_dumpall --globals-only; \(Self.howToLeaveOut)")

        var dumped: [String] = []
        for db in all where selection.includes(database: db) {
            let directory = pgfs + "/" + SQLText.fileName(Array(db.utf8))
            try? Posix.removeTree(Array(directory.utf8))
            try Posix.makeDirectories(directory, mode: 0o700)
            var arguments = connection + ["--format=tar", "--no-password"]
            for (table, included) in selection.tableLimits(of: db).sorted(by: { $0.key < $1.key }) {
                arguments.append(included ? "--table=" + table : "--exclude-table-data=" + table)
            }
            arguments += ["--dbname=" + db]
            let dump = try run("pg_dump", arguments)
            let names: [String]
            do {
                names = try PgTarStream.unpack(fd: dump.stdoutFD, into: directory, source: "pg_dump of \(db)")
            } catch {
                dump.terminate()
                throw BamError.external(
                    "PostgreSQL backup of database \(db) failed: \(error)" + (dump.errorOutput.isEmpty ? "" : "\n" + dump.errorOutput)
                        + "\n\(Self.howToLeaveOut)")
            }
            try dump.check("PostgreSQL backup of database \(db) failed; \(Self.howToLeaveOut)")
            try Posix.writeFileAtomically(directory + "/" + PgFSLayout.manifestFile, Array(names.map { $0 + "\n" }.joined().utf8), mode: 0o600)
            try Posix.writeFileAtomically(directory + "/" + PgFSLayout.nameFile, Array(db.utf8), mode: 0o600)
            dumped.append(db)
        }
        return dumped
    }

    /// Loads the globals (a role that exists already is not an error), then
    /// for each selected database: drop it, and `pg_restore --create` it.
    func restore(from pgfs: String, selection: DatabaseSelection) throws -> [String] {
        let globalsPath = pgfs + "/" + PgFSLayout.globalsFile
        if Posix.fileExists(globalsPath) {
            let load = try run("psql", ["-X", "-q"] + connection + ["--dbname=postgres"], stdin: .pipe, stdout: .null)
            let sink = SQLSink { try load.write($0) }
            // The restoring role's own CREATE ROLE fails harmlessly; without
            // ON_ERROR_STOP psql goes on to its ALTER ROLE.
            try sink.write(try Posix.readFile(globalsPath))
            try sink.flush()
            try load.check("PostgreSQL restore failed loading the roles (\(globalsPath))")
        }
        var restored: [String] = []
        for entry in try Posix.listDirectory(Array(pgfs.utf8)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let directory = pgfs + "/" + String(decoding: entry, as: UTF8.self)
            let manifestPath = directory + "/" + PgFSLayout.manifestFile
            guard Posix.fileExists(manifestPath) else { continue }
            let name =
                Posix.fileExists(directory + "/" + PgFSLayout.nameFile)
                ? String(decoding: try Posix.readFile(directory + "/" + PgFSLayout.nameFile), as: UTF8.self)
                : String(decoding: entry, as: UTF8.self)
            guard selection.includes(database: name), !PgFSLayout.skipped.contains(name) else { continue }
            let members = String(decoding: try Posix.readFile(manifestPath), as: UTF8.self)
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            _ = try psql("DROP DATABASE IF EXISTS \(Self.quoted(name)) WITH (FORCE)")
            var arguments = ["--create", "--exit-on-error", "--format=tar", "--no-password"] + connection + ["--dbname=postgres"]
            for (table, included) in selection.tableLimits(of: name).sorted(by: { $0.key < $1.key }) where included {
                arguments.append("--table=" + table)
            }
            let load = try run("pg_restore", arguments, stdin: .pipe, stdout: .null)
            do {
                try PgTarStream.pack(members, from: directory, into: SQLSink { try load.write($0) })
            } catch {
                load.terminate()
                throw BamError.external("PostgreSQL restore of database \(name) failed: \(error)" + (load.errorOutput.isEmpty ? "" : "\n" + load.errorOutput))
            }
            try load.check("PostgreSQL restore of database \(name) failed")
            restored.append(name)
        }
        return restored
    }

    func drop(_ databases: [String]) throws {
        for db in databases { _ = try psql("DROP DATABASE IF EXISTS \(Self.quoted(db)) WITH (FORCE)") }
    }

    /// The newest installed version's tool: Debian's /usr/bin/pg_dump is a
    /// Perl wrapper that works out a version on every call, and the newest
    /// tools read every older server.
    static func tool(_ name: String) throws -> String {
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            for version in versions.compactMap({ Int($0) }).sorted(by: >) {
                let path = "/usr/lib/postgresql/\(version)/bin/\(name)"
                if access(path, X_OK) == 0 { return path }
            }
        }
        return try ChildProcess.which(name)
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A string literal (standard_conforming_strings, on since 9.1).
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
