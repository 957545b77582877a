/// Backs up a MySQL/MariaDB server into a myfs tree and restores one,
/// with database limits. Every failure is an error that names the server
/// and says how to leave the database out: a backup never goes on
/// without a database it was meant to hold.
struct MySQLDatabases {
    let client: MySQLClient

    init(defaultsFile: String) throws {
        client = try MySQLClient(defaultsFile: defaultsFile)
    }

    static let howToLeaveOut = "leave it out with --skip-database or a limit such as -mysql:DB"

    /// Dumps the selected databases into `myfs` (created). Returns nil
    /// (and writes nothing) when the limits select none.
    func backup(to myfs: String, selection: DatabaseSelection) throws -> MyFSSummary? {
        let all: [String]
        do { all = try client.databases() } catch {
            throw BamError.external("MySQL backup failed: cannot list the databases: \(error); \(Self.howToLeaveOut)")
        }
        let selected = all.filter { selection.includes(database: $0) }
        if selected.isEmpty { return nil }
        var ignored: [String] = []
        for db in selected {
            for (table, included) in selection.tableLimits(of: db) where !included && !selection.includes(database: db, table: table) {
                ignored.append(db + "." + table)
            }
        }
        let dump = try client.startDump(databases: selected, ignoringDataOf: ignored)
        let writer = MyFSWriter(directory: myfs, selection: selection)
        do {
            try writer.write(from: LineReader(fd: dump.stdoutFD, name: dump.commandLine), source: "mysqldump")
        } catch {
            dump.terminate()
            throw BamError.external("MySQL backup failed: \(error)" + (dump.errorOutput.isEmpty ? "" : "\n" + dump.errorOutput) + "; \(Self.howToLeaveOut)")
        }
        if dump.wait() != 0 {
            throw BamError.external("MySQL backup failed: " + dump.failureMessage() + "\n\(Self.howToLeaveOut)")
        }
        return writer.summary
    }

    /// Loads the selected databases of `myfs` into the server. Returns the
    /// names restored.
    @discardableResult
    func restore(from myfs: String, selection: DatabaseSelection) throws -> [String] {
        let reader = MyFSReader(directory: myfs, selection: selection)
        let names = try reader.databases().map { String(decoding: $0.name, as: UTF8.self) }
        if names.isEmpty { return [] }
        let load = try client.startLoad()
        do {
            try reader.generate(into: SQLSink { try load.write($0) })
        } catch {
            load.terminate()
            throw BamError.external("MySQL restore failed: \(error)" + (load.errorOutput.isEmpty ? "" : "\n" + load.errorOutput))
        }
        load.closeStdin()
        if load.wait() != 0 { throw BamError.external("MySQL restore failed: " + load.failureMessage()) }
        return names
    }

    /// Drops databases (a rollback removing what a restore created).
    func drop(_ databases: [String]) throws {
        for db in databases {
            let quoted = "`" + db.replacingOccurrences(of: "`", with: "``") + "`"
            _ = try client.query("DROP DATABASE IF EXISTS \(quoted)")
        }
    }
}
