/// A value bound to a `?` placeholder or read from a result column. The
/// Hub's schema uses only text and 64-bit integers, so that SQLite and
/// PostgreSQL store the same things the same way.
public enum SQLValue: Equatable, Sendable {
    case text(String)
    case integer(Int64)
    case null

    public var text: String? {
        switch self {
        case let .text(s): return s
        case let .integer(i): return String(i)
        case .null: return nil
        }
    }

    public var integer: Int64? {
        switch self {
        case let .integer(i): return i
        case let .text(s): return Int64(s)
        case .null: return nil
        }
    }
}

/// One row of a result, by column position.
public typealias SQLRow = [SQLValue]

/// A database connection that runs one statement at a time. Statements are
/// written once with `?` placeholders; each dialect rewrites what it must
/// (PostgreSQL's `$1`...). Callers serialise access (see `SQLStore`).
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs `sql` with `parameters` and returns every row it yields.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow]
    /// Runs several statements without parameters (schema creation).
    func executeScript(_ sql: String) throws
}

public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The column type of an auto-numbered primary key.
    var serialPrimaryKey: String {
        switch self {
        case .sqlite: return "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: return "BIGSERIAL PRIMARY KEY"
        }
    }
}

/// A database failure, with the statement's first words (never its
/// parameters: they may hold key material).
public struct SQLError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Opens the connection a `--database` value names: `sqlite:PATH` or a
/// `postgres://` / `postgresql://` URL.
public enum DatabaseURL {
    public static func open(_ value: String) throws -> SQLConnection {
        if value.hasPrefix("sqlite:") {
            let path = String(value.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SQLError("--database sqlite:PATH needs a path") }
            return try SQLiteConnection(path: path)
        }
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            return try PostgresConnection(url: value)
        }
        throw SQLError("unsupported --database \(redacted(value)) (expected sqlite:PATH or postgres://USER@HOST:PORT/DB)")
    }

    /// The URL without a password, for messages.
    public static func redacted(_ value: String) -> String {
        guard let scheme = value.range(of: "://"), let at = value.range(of: "@", range: scheme.upperBound..<value.endIndex) else {
            return value
        }
        let userinfo = value[scheme.upperBound..<at.lowerBound]
        guard let colon = userinfo.firstIndex(of: ":") else { return value }
        return String(value[..<colon]) + ":***" + String(value[at.lowerBound...])
    }
}
