/// Which databases and tables of one engine the limits select, with the
/// original's rules: any positive entry for the engine excludes everything
/// else by default; a positive MySQL entry implicitly adds the `mysql`
/// database (users and grants travel with the data). A database is looked
/// up as: its own entry, then "included" when a positive table entry names
/// it, then the default. A table: its exact entry, then its database's
/// entry, then the default. Limits of the other engine do not count.
public struct DatabaseSelection: Sendable {
    public let engine: DatabaseLimit.Engine
    private var databases: [String: Bool] = [:]
    private var tables: [String: [String: Bool]] = [:]
    private var impliedDatabases: Set<String> = []
    private var defaultIncluded = true

    public init(engine: DatabaseLimit.Engine, limits: [DatabaseLimit]) {
        self.engine = engine
        for limit in limits where limit.engine == engine {
            if limit.isIncluded { defaultIncluded = false }
            if let table = limit.table {
                tables[limit.database, default: [:]][table] = limit.isIncluded
                if limit.isIncluded { impliedDatabases.insert(limit.database) }
            } else {
                databases[limit.database] = limit.isIncluded
            }
        }
        if engine == .mysql && !defaultIncluded && databases["mysql"] == nil { databases["mysql"] = true }
    }

    /// True when no limit of this engine was given.
    public var isEverything: Bool { defaultIncluded && databases.isEmpty && tables.isEmpty }

    public func includes(database: String) -> Bool {
        if let sign = databases[database] { return sign }
        if impliedDatabases.contains(database) { return true }
        return defaultIncluded
    }

    public func includes(database: String, table: String) -> Bool {
        if let sign = tables[database]?[table] { return sign }
        if let sign = databases[database] { return sign }
        return defaultIncluded
    }

    /// The same databases, each whole: what a restore with this selection
    /// drops and loads again, so what its rollback must save first.
    public var wholeDatabases: DatabaseSelection {
        var whole = self
        whole.tables = [:]
        return whole
    }

    /// The tables of `database` that limits name explicitly.
    func tableLimits(of database: String) -> [String: Bool] { tables[database] ?? [:] }
}
