/// The MySQL/MariaDB client tools, pointed at a server by a defaults file
/// (`--defaults-file` first on the command line, so only that file is
/// read): the socket, user and password stay in that 0600 file and out
/// of argv and the environment.
struct MySQLClient {
    let defaultsFile: String
    let dumpTool: String
    let clientTool: String

    /// Schemas the server makes itself; never dumped or restored.
    static let systemSchemas: Set<String> = ["information_schema", "performance_schema", "sys"]

    init(defaultsFile: String) throws {
        self.defaultsFile = defaultsFile
        dumpTool = try ChildProcess.which("mariadb-dump", "mysqldump")
        clientTool = try ChildProcess.which("mariadb", "mysql")
    }

    private var connection: [String] {
        ["--defaults-file=" + defaultsFile, "--default-character-set=utf8mb4"]
    }

    /// Runs one statement and returns its rows, tab-separated, unescaped.
    func query(_ sql: String) throws -> [String] {
        let out = try ChildProcess.output(
            [clientTool] + connection + ["--batch", "--raw", "--skip-column-names", "-e", sql],
            what: "MySQL query '\(sql)' failed (is the server running and the defaults file \(defaultsFile) right?)")
        return String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    func databases() throws -> [String] {
        try query("SHOW DATABASES").filter { !Self.systemSchemas.contains($0) }
    }

    /// mysqldump of `databases` (compact, one transaction, unbuffered)
    /// with routines, events and triggers, binary columns in hex; its
    /// output is read from `stdoutFD`. Rows come in extended INSERTs, as
    /// mysqldump writes by default: one INSERT a row would make the dump
    /// itself a third slower.
    func startDump(databases: [String], ignoringDataOf tables: [String]) throws -> ChildProcess {
        var arguments =
            [dumpTool] + connection + [
                "--single-transaction", "--compact", "--quick",
                "--routines", "--events", "--triggers", "--hex-blob", "--max-allowed-packet=1G",
            ]
        arguments += tables.map { "--ignore-table-data=" + $0 }
        arguments += ["--databases", "--"] + databases
        return try ChildProcess(arguments, stdout: .pipe)
    }

    /// The client reading SQL from its standard input; it stops at the
    /// first error (no --force), so a failed restore is never partial quietly.
    /// `--comments`: the client would strip the comments in program bodies.
    func startLoad() throws -> ChildProcess {
        try ChildProcess(
            [clientTool] + connection + ["--binary-mode", "--max-allowed-packet=1G", "--batch", "--comments"],
            stdin: .pipe, stdout: .null)
    }
}
