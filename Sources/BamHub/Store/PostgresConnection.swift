import CPostgres
import Foundation

/// PostgreSQL through Debian's libpq. Parameters travel separately from the
/// statement (PQexecParams), never spliced into SQL text.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgres
    private var conn: OpaquePointer?
    private let display: String

    /// `url` is a libpq connection URI (postgres://user[:password]@host:port/db).
    /// A password is better given by PGPASSWORD or ~/.pgpass, out of argv.
    public init(url: String) throws {
        display = DatabaseURL.redacted(url)
        conn = PQconnectdb(url)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            self.conn = nil
            throw SQLError("cannot connect to PostgreSQL \(display): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // Schema creation notices ("relation already exists, skipping") are noise.
        try executeScript("SET client_min_messages = warning")
    }

    deinit { PQfinish(conn) }

    public func executeScript(_ sql: String) throws {
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw SQLError("PostgreSQL \(display): \(String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// `?` becomes `$1`, `$2`... (the Hub's statements have no `?` in literals).
    static func numberPlaceholders(_ sql: String) -> String {
        var out = ""
        var n = 0
        for c in sql {
            if c == "?" { n += 1; out += "$\(n)" } else { out.append(c) }
        }
        return out
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let text = Self.numberPlaceholders(sql)
        // Integers are sent as text too: with no declared types PostgreSQL
        // infers each parameter's type from the statement.
        let values: [String?] = parameters.map { $0.text }
        var cStrings: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.withUnsafeMutableBufferPointer { buffer -> OpaquePointer? in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { pointer in
                PQexecParams(conn, text, Int32(values.count), nil, values.isEmpty ? nil : pointer, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw SQLError(
                "PostgreSQL \(display): \(String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)) in: \(sql.prefix(60))")
        }
        var rows: [SQLRow] = []
        let columns = PQnfields(result)
        for r in 0..<PQntuples(result) {
            var row: SQLRow = []
            for c in 0..<columns {
                if PQgetisnull(result, r, c) != 0 { row.append(.null); continue }
                let value = String(cString: PQgetvalue(result, r, c))
                // int8 (20), int4 (23), int2 (21) columns come back as integers.
                switch PQftype(result, c) {
                case 20, 21, 23: row.append(Int64(value).map(SQLValue.integer) ?? .text(value))
                default: row.append(.text(value))
                }
            }
            rows.append(row)
        }
        return rows
    }
}
