/// A database entry of the overrides or of `--limits`: `mysql:db`,
/// `mysql:db/table`, `pgsql:db`, `pgsql:db/table`, `-` to exclude.
public struct DatabaseLimit: Hashable, Sendable, CustomStringConvertible {
    public enum Engine: String, Sendable {
        case mysql
        case pgsql
    }

    public var engine: Engine
    public var database: String
    /// nil for the whole database.
    public var table: String?
    public var isIncluded: Bool

    public init(engine: Engine, database: String, table: String? = nil, isIncluded: Bool) {
        self.engine = engine
        self.database = database
        self.table = table
        self.isIncluded = isIncluded
    }

    /// Parses `-?(mysql|pgsql):db[/table]`; nil when `text` is not a
    /// database limit, an error message when it is one but malformed.
    static func parse(_ text: String) -> Result<DatabaseLimit, ParseFailure>? {
        let excluded = text.hasPrefix("-")
        let body = excluded ? text.dropFirst() : Substring(text)
        guard let colon = body.firstIndex(of: ":"), let engine = Engine(rawValue: String(body[..<colon])) else {
            return nil
        }
        let rest = body[body.index(after: colon)...]
        let database: Substring
        var table: String?
        if let slash = rest.firstIndex(of: "/") {
            database = rest[..<slash]
            table = String(rest[rest.index(after: slash)...])
            if table!.isEmpty { return .failure(ParseFailure("'\(text)': empty table name after '/'")) }
        } else {
            database = rest
        }
        if database.isEmpty { return .failure(ParseFailure("'\(text)': no database name after '\(engine.rawValue):'")) }
        return .success(DatabaseLimit(engine: engine, database: String(database), table: table, isIncluded: !excluded))
    }

    public var description: String {
        (isIncluded ? "" : "-") + engine.rawValue + ":" + database + (table.map { "/" + $0 } ?? "")
    }
}
