import CSQLite
import Foundation

/// SQLite through Debian's libsqlite3. The database file is created 0600:
/// it holds region secret keys.
public final class SQLiteConnection: SQLConnection {
    public let dialect = SQLDialect.sqlite
    private var db: OpaquePointer?
    private let path: String

    public init(path: String) throws {
        self.path = path
        // Created 0600 before SQLite opens it (its WAL and shared-memory
        // files take the database's mode). Not by narrowing the umask: that
        // is process-wide, and a directory another thread made meanwhile
        // (a restore in the same process, a test beside this one) came out
        // 0700 instead of its mode.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SQLError("cannot open SQLite database \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLError("cannot open SQLite database \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 5000)
        try executeScript("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")
    }

    deinit { sqlite3_close(db) }

    public func executeScript(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw SQLError("SQLite \(path): \(message)")
        }
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw SQLError("SQLite \(path): \(lastError) in: \(sql.prefix(60))")
        }
        defer { sqlite3_finalize(statement) }
        for (i, value) in parameters.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case let .text(s): _ = bam_sqlite_bind_text(statement, index, s, -1)
            case let .integer(n): sqlite3_bind_int64(statement, index, n)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw SQLError("SQLite \(path): \(lastError) in: \(sql.prefix(60))")
            }
            var row: SQLRow = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_NULL: row.append(.null)
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                default: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                }
            }
            rows.append(row)
        }
        return rows
    }

    private var lastError: String { String(cString: sqlite3_errmsg(db)) }
}
