#if canImport(Glibc)
import Glibc
#endif

/// What a MySQL dump put into a myfs tree.
public struct MyFSSummary: Equatable, Sendable {
    public var databases: [String] = []
    public var tables = 0
    public var rows: Int64 = 0
}

/// Turns mysqldump's `--compact` output, read line by line, into a myfs
/// tree (see `MyFSLayout`). Each extended INSERT (at most mysqldump's net
/// buffer long: on one line from MySQL, a row a line from MariaDB) is split
/// into rows that go straight to their table's `rows` file, one per line,
/// so memory does not grow with the table. A statement it does not know
/// is an error naming its line: a dump bam cannot place must not be
/// dropped quietly.
final class MyFSWriter {
    let directory: String
    let selection: DatabaseSelection

    private struct Database {
        var name: [UInt8]
        var path: String
    }

    private struct Table {
        var database: [UInt8]
        var name: [UInt8]
        var path: String
        var keepsRows: Bool
        var insertPrefix: [UInt8]
        var isSequence = false
        var rows: BufferedFileWriter?
    }

    private var databases: [[UInt8]: Database] = [:]
    private var database: Database?
    private var table: Table?
    private var sessionSettings: [[UInt8]] = []
    private var viewSettings: [[UInt8]] = []
    private(set) var summary = MyFSSummary()
    private static let newline: [UInt8] = [0x0a]

    init(directory: String, selection: DatabaseSelection) {
        self.directory = directory
        self.selection = selection
    }

    func write(from reader: LineReader, source: String) throws {
        try Posix.makeDirectories(directory, mode: 0o700)
        var delimiter: [UInt8] = [0x3b]
        var statement: [UInt8] = []
        var scanner = SQLStatementScanner()
        var statementLine = 0
        // An INSERT whose rows go on over the next lines (MariaDB's dump
        // puts each row on a line of its own), kept until its `;`.
        var insertStatement: [UInt8] = []
        while try reader.next({ line -> Void in
            if !insertStatement.isEmpty {
                insertStatement.append(0x0a)
                insertStatement.append(contentsOf: line)
                if line.last == 0x3b {
                    try insertStatement.withUnsafeBytes { try insert($0, lineNumber: statementLine, source: source) }
                    insertStatement.removeAll(keepingCapacity: true)
                }
                return
            }
            if statement.isEmpty {
                if line.allSatisfy(SQLText.isSpace) { return }
                if SQLText.hasPrefix(line, "--") || SQLText.hasPrefix(line, "/*M!999999") { return }
                if SQLText.hasPrefix(line, "DELIMITER ") {
                    delimiter = Array(SQLText.trimmed(Array(line)[10...]))
                    return
                }
                if SQLText.hasPrefix(line, "INSERT INTO `") {
                    if line.last == 0x3b {
                        try insert(line, lineNumber: reader.lineNumber, source: source)
                    } else {
                        statementLine = reader.lineNumber
                        insertStatement.append(contentsOf: line)
                    }
                    return
                }
                statementLine = reader.lineNumber
            } else {
                statement.append(0x0a)
            }
            statement.append(contentsOf: line)
            if scanner.endsStatement(line, delimiter: delimiter) {
                let body = SQLText.trimmed(SQLText.trimmed(statement[...]).dropLast(delimiter.count))
                try handle(Array(body), lineNumber: statementLine, source: source)
                statement.removeAll(keepingCapacity: true)
                scanner.reset()
            }
        }) != nil {}
        if !SQLText.trimmed(statement[...]).isEmpty || !insertStatement.isEmpty {
            throw BamError.corrupt(what: "\(source) output at line \(statementLine)", reason: "the dump ends inside a statement")
        }
        try closeTable()
    }

    private func fail(_ lineNumber: Int, _ source: String, _ reason: String) -> BamError {
        BamError.external("\(source) output line \(lineNumber): \(reason)")
    }

    private func insert(_ line: UnsafeRawBufferPointer, lineNumber: Int, source: String) throws {
        guard database != nil else { return }  // a database the limits leave out
        guard var current = table else { throw fail(lineNumber, source, "an INSERT outside any table") }
        let prefix = current.insertPrefix
        let tableName = String(decoding: current.name, as: UTF8.self)
        guard line.count >= prefix.count + 3, memcmp(line.baseAddress!, prefix, prefix.count) == 0, line[line.count - 1] == 0x3b else {
            throw fail(lineNumber, source, "an INSERT that is not rows of `\(tableName)` on one line")
        }
        guard current.keepsRows else { return }
        if current.rows == nil {
            current.rows = try BufferedFileWriter(creating: current.path + "/" + MyFSLayout.rowsFile)
            table = current
        }
        let rows = current.rows!
        var count: Int64 = 0
        do {
            try ExtendedInsertRows.split(UnsafeRawBufferPointer(rebasing: line[prefix.count..<(line.count - 1)])) { row in
                // A rows file holds one row a line: a raw line break in a
                // value (a dump under NO_BACKSLASH_ESCAPES) cannot be kept.
                if memchr(row.baseAddress!, 0x0a, row.count) != nil {
                    throw fail(lineNumber, source, "a value of `\(tableName)` holds a raw line break (is NO_BACKSLASH_ESCAPES set?)")
                }
                try rows.write(row)
                try rows.write(Self.newline)
                count += 1
            }
        } catch let failure as ExtendedInsertRows.Failure {
            let why = failure == .unterminatedString ? "a quoted value that never ends" : "values that are not parenthesised rows"
            throw fail(lineNumber, source, "an INSERT into `\(tableName)` with \(why)")
        }
        summary.rows += count
    }

    private func closeTable() throws {
        try table?.rows?.close()
        table = nil
    }

    private func handle(_ sql: [UInt8], lineNumber: Int, source: String) throws {
        if SQLText.hasPrefix(sql, "CREATE DATABASE") {
            try closeTable()
            guard let name = SQLText.firstQuotedName(sql) else { throw fail(lineNumber, source, "CREATE DATABASE without a name") }
            guard selection.includes(database: String(decoding: name, as: UTF8.self)) else { database = nil; return }
            let path = directory + "/" + SQLText.fileName(name)
            try Posix.makeDirectories(path, mode: 0o700)
            try Posix.writeFileAtomically(path + "/" + MyFSLayout.initFile, sql + Array(";\n".utf8), mode: 0o600)
            let db = Database(name: name, path: path)
            sessionSettings.removeAll()
            databases[name] = db
            database = db
            summary.databases.append(String(decoding: name, as: UTF8.self))
            return
        }
        if SQLText.hasPrefix(sql, "USE ") {
            try closeTable()
            guard let name = SQLText.firstQuotedName(sql) else { throw fail(lineNumber, source, "USE without a name") }
            database = databases[name]
            return
        }
        guard let db = database else { return }  // left out by the limits

        let isSequence = SQLText.hasPrefix(sql, "CREATE SEQUENCE")
        if isSequence || SQLText.hasPrefix(sql, "CREATE TABLE") {
            // A sequence is a table to MariaDB (DROP TABLE drops it, limits
            // name it as one): its definition goes where a table's does,
            // and its position, the DO SETVAL that follows, beside it.
            try closeTable()
            guard let name = SQLText.firstQuotedName(sql) else {
                throw fail(lineNumber, source, "\(isSequence ? "CREATE SEQUENCE" : "CREATE TABLE") without a name")
            }
            let path = db.path + "/" + MyFSLayout.tablesDirectory + "/" + SQLText.fileName(name)
            try Posix.makeDirectories(path, mode: 0o700)
            try Posix.writeFileAtomically(path + "/" + MyFSLayout.initFile, sql + Array(";\n".utf8), mode: 0o600)
            let keeps =
                !MyFSLayout.isLogTable(database: db.name, table: name)
                && selection.includes(database: String(decoding: db.name, as: UTF8.self), table: String(decoding: name, as: UTF8.self))
            table = Table(
                database: db.name, name: name, path: path, keepsRows: keeps,
                insertPrefix: Array("INSERT INTO ".utf8) + SQLText.mysqlQuoted(name) + Array(" VALUES".utf8),
                isSequence: isSequence)
            summary.tables += 1
            sessionSettings.removeAll()
            return
        }
        if SQLText.hasPrefix(sql, "DO SETVAL(") || SQLText.hasPrefix(sql, "SELECT SETVAL(") {
            guard let current = table, current.isSequence, SQLText.firstQuotedName(sql) == current.name else {
                throw fail(lineNumber, source, "a SETVAL that does not follow its CREATE SEQUENCE")
            }
            if current.keepsRows {
                try Posix.writeFileAtomically(current.path + "/" + MyFSLayout.sequenceValueFile, sql + Array(";\n".utf8), mode: 0o600)
            }
            return
        }
        if SQLText.hasPrefix(sql, "INSERT INTO") {
            try sql.withUnsafeBytes { try insert($0, lineNumber: lineNumber, source: source) }
            return
        }
        if SQLText.hasPrefix(sql, "/*!50001 CREATE") {
            // A view: first its placeholder (a view or, from MySQL 5, a
            // table, with NULL columns), at the end its real definition.
            let isTablePlaceholder = SQLText.hasPrefix(sql, "/*!50001 CREATE TABLE")
            guard let name = isTablePlaceholder ? SQLText.firstQuotedName(sql) : SQLText.quotedName(sql, afterKeyword: "VIEW ") else {
                throw fail(lineNumber, source, "a view without a name")
            }
            let real =
                !isTablePlaceholder && (SQLText.contains(sql, "ALGORITHM=") || SQLText.contains(sql, "DEFINER=") || SQLText.contains(sql, "SQL SECURITY"))
            let path = db.path + "/" + MyFSLayout.viewsDirectory + "/" + SQLText.fileName(name)
            try Posix.makeDirectories(path, mode: 0o700)
            if real {
                let settings = viewSettings.flatMap { $0 + Array(";\n".utf8) }
                try Posix.writeFileAtomically(path + "/" + MyFSLayout.viewPostFile, settings + sql + Array(";\n".utf8), mode: 0o600)
            } else {
                try Posix.writeFileAtomically(path + "/" + MyFSLayout.viewPreFile, sql + Array(";\n".utf8), mode: 0o600)
            }
            viewSettings.removeAll()
            return
        }
        if SQLText.hasPrefix(sql, "/*!50003 CREATE*/") && SQLText.contains(sql, "TRIGGER ") {
            guard let t = table else { throw fail(lineNumber, source, "a trigger outside any table") }
            try appendProgram(sql, to: t.path + "/" + MyFSLayout.triggersFile)
            return
        }
        if SQLText.hasPrefix(sql, "/*!50106 CREATE*/") {
            try appendProgram(sql, to: db.path + "/" + MyFSLayout.eventsFile)
            return
        }
        if isRoutine(sql) {
            try appendProgram(sql, to: db.path + "/" + MyFSLayout.routinesFile)
            return
        }
        if let setting = sessionSetting(sql) {
            if SQLText.hasPrefix(sql, "/*!50001 ") { viewSettings.append(setting) } else { sessionSettings.append(setting) }
            return
        }
        for ignorable: StaticString in [
            "SET ", "/*!40101 SET", "/*!40103 SET", "/*!40014 SET", "/*!40111 SET", "/*!50003 SET",
            "/*!50106 SET", "/*!50001 SET", "/*!50001 DROP", "/*!50106 DROP", "/*!50003 DROP",
            "DROP TABLE", "DROP VIEW", "LOCK TABLES", "UNLOCK TABLES", "/*!40000 ALTER TABLE",
            "/*!40000 DROP DATABASE", "/*!50112 SET", "/*!50717 SET", "/*!80000 SET",
        ]
        where SQLText.hasPrefix(sql, ignorable) {
            return
        }
        let shown = String(decoding: sql.prefix(120), as: UTF8.self)
        throw fail(lineNumber, source, "a statement bam does not know how to keep: \(shown)")
    }

    private func isRoutine(_ sql: [UInt8]) -> Bool {
        guard SQLText.hasPrefix(sql, "CREATE ") else { return false }
        var rest = sql.dropFirst(7)
        if SQLText.hasPrefix(Array(rest.prefix(8)), "DEFINER=") {
            // DEFINER=`u`@`h` (quoted parts may hold spaces)
            var i = rest.startIndex + 8, quoted = false
            while i < rest.endIndex && (quoted || rest[i] != 0x20) {
                if rest[i] == 0x60 { quoted.toggle() }
                i += 1
            }
            rest = rest[i...].drop(while: SQLText.isSpace)
        }
        let head = Array(rest.prefix(24))
        return SQLText.hasPrefix(head, "PROCEDURE") || SQLText.hasPrefix(head, "FUNCTION") || SQLText.hasPrefix(head, "AGGREGATE FUNCTION")
            || SQLText.hasPrefix(head, "PACKAGE")
    }

    /// A `SET` of the session state a program or view is created under
    /// (sql_mode, character sets, collation, time zone), not the dump's
    /// own saving and restoring of it.
    private func sessionSetting(_ sql: [UInt8]) -> [UInt8]? {
        guard SQLText.hasPrefix(sql, "/*!50003 SET") || SQLText.hasPrefix(sql, "/*!50001 SET") else { return nil }
        if SQLText.contains(sql, "@save") || SQLText.contains(sql, "@OLD") { return nil }
        return sql
    }

    /// Appends the pending session settings and `sql`, `;;`-terminated.
    private func appendProgram(_ sql: [UInt8], to path: String) throws {
        var text: [UInt8] = []
        for setting in sessionSettings { text += setting + Array(";;\n".utf8) }
        text += sql + Array(";;\n\n".utf8)
        sessionSettings.removeAll()
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        try Posix.writeAll(fd, text, path: path)
    }
}
