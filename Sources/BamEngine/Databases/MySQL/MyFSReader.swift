#if canImport(Glibc)
import Glibc
#endif

/// Regenerates SQL from a myfs tree (see `MyFSLayout`) into a sink (the
/// `mysql` client's input): foreign key and unique checks off, each
/// selected database dropped and created again (`mysql` itself is never
/// dropped, and comes last), tables dropped and recreated, rows streamed from their files
/// in multi-row INSERTs of about 1 MB, then triggers, views' placeholders,
/// routines and events; the real views last, when every table and
/// function they may use exists. Privileges are reloaded when `mysql` was
/// restored, so users and grants take effect.
final class MyFSReader {
    static let maxInsert = 1_000_000 - 1024

    let directory: String
    let selection: DatabaseSelection

    struct Database {
        var name: [UInt8]
        var path: String
        var initSQL: [UInt8]
    }

    init(directory: String, selection: DatabaseSelection) {
        self.directory = directory
        self.selection = selection
    }

    /// The databases in the tree that the selection keeps, `mysql` last:
    /// its proc and event tables then end as the backup had them, after
    /// the other databases' routines and events were created (a dropped
    /// database takes its rows out of them).
    func databases() throws -> [Database] {
        guard Posix.fileExists(directory) else { return [] }
        var result: [Database] = []
        for entry in try Posix.listDirectory(Array(directory.utf8)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let path = directory + "/" + String(decoding: entry, as: UTF8.self)
            let initPath = path + "/" + MyFSLayout.initFile
            guard Posix.fileExists(initPath) else { continue }
            let sql = try Posix.readFile(initPath)
            guard let name = SQLText.firstQuotedName(sql) else {
                throw BamError.corrupt(what: initPath, reason: "no database name in its CREATE DATABASE")
            }
            if selection.includes(database: String(decoding: name, as: UTF8.self)) {
                result.append(Database(name: name, path: path, initSQL: Array(SQLText.trimmed(sql[...]))))
            }
        }
        let mysql = Array("mysql".utf8)
        return result.filter { $0.name != mysql } + result.filter { $0.name == mysql }
    }

    static let header = """
        /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
        /*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
        /*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
        /*!40101 SET NAMES utf8mb4 */;
        /*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
        /*!40103 SET TIME_ZONE='+00:00' */;
        /*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
        /*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
        /*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
        /*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

        """

    static let footer = """
        /*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
        /*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
        /*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
        /*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
        /*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
        /*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
        /*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
        /*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

        """

    /// Programs (triggers, routines, events) run under the session
    /// settings their files give; these save and restore the session's.
    static let programsBefore = """
        /*!50003 SET @saved_cs_client      = @@character_set_client */ ;
        /*!50003 SET @saved_cs_results     = @@character_set_results */ ;
        /*!50003 SET @saved_col_connection = @@collation_connection */ ;
        /*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
        /*!50003 SET @saved_time_zone      = @@time_zone */ ;
        DELIMITER ;;

        """
    static let programsAfter = """
        DELIMITER ;
        /*!50003 SET time_zone             = @saved_time_zone */ ;
        /*!50003 SET sql_mode              = @saved_sql_mode */ ;
        /*!50003 SET character_set_client  = @saved_cs_client */ ;
        /*!50003 SET character_set_results = @saved_cs_results */ ;
        /*!50003 SET collation_connection  = @saved_col_connection */ ;

        """

    func generate(into sink: SQLSink) throws {
        let selected = try databases()
        try sink.write(Self.header)
        for db in selected { try generate(db, into: sink) }
        for db in selected {
            let views = try viewDirectories(db)
            if views.isEmpty { continue }
            try sink.write("USE " + String(decoding: SQLText.mysqlQuoted(db.name), as: UTF8.self) + ";\n")
            for (name, path) in views {
                guard let post = try? Posix.readFile(path + "/" + MyFSLayout.viewPostFile) else { continue }
                let quoted = SQLText.mysqlQuoted(name)
                let wasTable = (try? Posix.readFile(path + "/" + MyFSLayout.viewPreFile)).map { SQLText.contains($0, "CREATE TABLE") } ?? false
                if wasTable { try sink.write(Array("/*!50001 DROP TABLE IF EXISTS ".utf8) + quoted + Array("*/;\n".utf8)) }
                try sink.write(Array("/*!50001 DROP VIEW IF EXISTS ".utf8) + quoted + Array("*/;\n".utf8))
                try sink.write(
                    """
                    /*!50001 SET @saved_cs_client          = @@character_set_client */;
                    /*!50001 SET @saved_cs_results         = @@character_set_results */;
                    /*!50001 SET @saved_col_connection     = @@collation_connection */;
                    /*!50001 SET character_set_client      = utf8mb4 */;
                    /*!50001 SET character_set_results     = utf8mb4 */;
                    /*!50001 SET collation_connection      = utf8mb4_general_ci */;

                    """)
                try sink.write(Array(SQLText.trimmed(post[...])) + [0x0a])
                try sink.write(
                    """
                    /*!50001 SET character_set_client      = @saved_cs_client */;
                    /*!50001 SET character_set_results     = @saved_cs_results */;
                    /*!50001 SET collation_connection      = @saved_col_connection */;

                    """)
            }
        }
        if selected.contains(where: { $0.name == Array("mysql".utf8) }) {
            try sink.write("FLUSH PRIVILEGES;\n")
        }
        try sink.write(Self.footer)
        try sink.flush()
    }

    private func sortedEntries(_ path: String) throws -> [[UInt8]] {
        guard Posix.fileExists(path) else { return [] }
        return try Posix.listDirectory(Array(path.utf8)).sorted(by: { $0.lexicographicallyPrecedes($1) })
    }

    private func viewDirectories(_ db: Database) throws -> [([UInt8], String)] {
        let base = db.path + "/" + MyFSLayout.viewsDirectory
        return try sortedEntries(base).map { entry in
            let path = base + "/" + String(decoding: entry, as: UTF8.self)
            // The name is in the statements; the directory name is only escaped.
            var name = entry
            for file in [MyFSLayout.viewPostFile, MyFSLayout.viewPreFile] {
                if let sql = try? Posix.readFile(path + "/" + file), let n = SQLText.quotedName(sql, afterKeyword: "VIEW ") ?? SQLText.firstQuotedName(sql) {
                    name = n
                    break
                }
            }
            return (name, path)
        }
    }

    private func generate(_ db: Database, into sink: SQLSink) throws {
        let quotedDB = SQLText.mysqlQuoted(db.name)
        let dbName = String(decoding: db.name, as: UTF8.self)
        if db.name != Array("mysql".utf8) {
            try sink.write(Array("/*!40000 DROP DATABASE IF EXISTS ".utf8) + quotedDB + Array("*/;\n".utf8))
        }
        try sink.write(db.initSQL + [0x0a])
        try sink.write(Array("USE ".utf8) + quotedDB + Array(";\n".utf8))
        let tablesPath = db.path + "/" + MyFSLayout.tablesDirectory
        var definitions: [(name: [UInt8], path: String, initSQL: [UInt8])] = []
        for entry in try sortedEntries(tablesPath) {
            let path = tablesPath + "/" + String(decoding: entry, as: UTF8.self)
            let initSQL = try Posix.readFile(path + "/" + MyFSLayout.initFile)
            guard let name = SQLText.firstQuotedName(initSQL) else {
                throw BamError.corrupt(what: path + "/" + MyFSLayout.initFile, reason: "no table name in its CREATE TABLE")
            }
            guard selection.includes(database: dbName, table: String(decoding: name, as: UTF8.self)) || selection.isEverything else { continue }
            definitions.append((name, path, initSQL))
        }
        // Sequences first: a table's DEFAULT may take its next value. And
        // no LOCK TABLES where there are any: a table whose default names a
        // sequence cannot be written under a lock that leaves it out.
        let isSequence = { (initSQL: [UInt8]) in SQLText.hasPrefix(initSQL, "CREATE SEQUENCE") }
        let hasSequences = definitions.contains { isSequence($0.initSQL) }
        for (name, path, initSQL) in definitions.filter({ isSequence($0.initSQL) }) + definitions.filter({ !isSequence($0.initSQL) }) {
            try table(name: name, path: path, initSQL: initSQL, database: db, lockTables: !hasSequences, into: sink)
        }
        for (_, path) in try viewDirectories(db) {
            guard let pre = try? Posix.readFile(path + "/" + MyFSLayout.viewPreFile) else { continue }
            let name = SQLText.quotedName(pre, afterKeyword: "VIEW ") ?? SQLText.firstQuotedName(pre) ?? []
            let quoted = SQLText.mysqlQuoted(name)
            if SQLText.contains(pre, "CREATE TABLE") {
                try sink.write(Array("DROP TABLE IF EXISTS ".utf8) + quoted + Array(";\n".utf8))
            }
            try sink.write(Array("/*!50001 DROP VIEW IF EXISTS ".utf8) + quoted + Array("*/;\n".utf8))
            try sink.write("SET @saved_cs_client     = @@character_set_client;\nSET character_set_client = utf8mb4;\n")
            try sink.write(Array(SQLText.trimmed(pre[...])) + [0x0a])
            try sink.write("SET character_set_client = @saved_cs_client;\n")
        }
        // `mysql` is never dropped: its own routines and events are rows of
        // mysql.proc and mysql.event, loaded above; creating them again fails.
        if db.name != Array("mysql".utf8) {
            for file in [MyFSLayout.routinesFile, MyFSLayout.eventsFile] {
                try programs(db.path + "/" + file, into: sink)
            }
        }
    }

    private func programs(_ path: String, into sink: SQLSink) throws {
        guard Posix.fileExists(path) else { return }
        let text = SQLText.trimmed(try Posix.readFile(path)[...])
        if text.isEmpty { return }
        try sink.write(Self.programsBefore)
        try sink.write(Array(text) + [0x0a])
        try sink.write(Self.programsAfter)
    }

    private func table(name: [UInt8], path: String, initSQL: [UInt8], database db: Database, lockTables: Bool, into sink: SQLSink) throws {
        let quoted = SQLText.mysqlQuoted(name)
        let isLog = MyFSLayout.isLogTable(database: db.name, table: name)
        // mysqldump writes IF NOT EXISTS for tables the server keeps in use
        // (logs, the transaction registry): those are left in place.
        let keepExisting = isLog || SQLText.contains(Array(initSQL.prefix(64)), "IF NOT EXISTS")
        if !keepExisting { try sink.write(Array("DROP TABLE IF EXISTS ".utf8) + quoted + Array(";\n".utf8)) }
        try sink.write("/*!40101 SET @saved_cs_client     = @@character_set_client */;\n/*!40101 SET character_set_client = utf8mb4 */;\n")
        try sink.write(Array(SQLText.trimmed(initSQL[...])) + [0x0a])
        try sink.write("/*!40101 SET character_set_client = @saved_cs_client */;\n")
        if let position = try? Posix.readFile(path + "/" + MyFSLayout.sequenceValueFile) {
            try sink.write(Array(SQLText.trimmed(position[...])) + [0x0a])
        }
        let rowsPath = path + "/" + MyFSLayout.rowsFile
        if !isLog, let st = try Posix.lstatIfExists(Array(rowsPath.utf8)), st.st_size > 0 {
            if lockTables { try sink.write(Array("LOCK TABLES ".utf8) + quoted + Array(" WRITE;\n".utf8)) }
            try sink.write(Array("/*!40000 ALTER TABLE ".utf8) + quoted + Array(" DISABLE KEYS */;\n".utf8))
            try rows(rowsPath, table: quoted, into: sink)
            try sink.write(Array("/*!40000 ALTER TABLE ".utf8) + quoted + Array(" ENABLE KEYS */;\n".utf8))
            if lockTables { try sink.write("UNLOCK TABLES;\n") }
        }
        try programs(path + "/" + MyFSLayout.triggersFile, into: sink)
    }

    private func rows(_ path: String, table quoted: [UInt8], into sink: SQLSink) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let reader = LineReader(fd: fd, name: path)
        let prefix = Array("INSERT INTO ".utf8) + quoted + Array(" VALUES (".utf8)
        let separator: [UInt8] = Array("),(".utf8), end: [UInt8] = Array(");\n".utf8)
        var chunk = 0
        while try reader.next({ line -> Void in
            var s = 0, e = line.count
            while s < e && SQLText.isSpace(line[s]) { s += 1 }
            while e > s && SQLText.isSpace(line[e - 1]) { e -= 1 }
            if s == e { return }
            let row = UnsafeRawBufferPointer(rebasing: line[s..<e])
            if chunk > 0 && chunk + row.count + 3 > Self.maxInsert {
                try sink.write(end)
                chunk = 0
            }
            if chunk == 0 {
                try sink.write(prefix)
                chunk = prefix.count
            } else {
                try sink.write(separator)
                chunk += 3
            }
            try sink.write(row)
            chunk += row.count
        }) != nil {}
        if chunk > 0 { try sink.write(end) }
    }
}
