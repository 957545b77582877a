/// The original's "myfs" tree of MySQL/MariaDB databases, inside the
/// extras as `myfs/`:
///
///     myfs/<db>/init                   CREATE DATABASE statement
///     myfs/<db>/tables/<t>/init        CREATE TABLE statement
///     myfs/<db>/tables/<t>/rows        one row per line: the text between
///                                      `VALUES (` and `);` of its INSERT
///     myfs/<db>/tables/<t>/triggers    `;;`-terminated statements
///     myfs/<db>/views/<v>/pre          the placeholder mysqldump creates first
///     myfs/<db>/views/<v>/post         the view's real definition
///
/// bam adds, in files the original's reader ignores:
///
///     myfs/<db>/routines               stored procedures and functions
///     myfs/<db>/events                 scheduled events
///     myfs/<db>/tables/<s>/setval      a sequence's position (`DO SETVAL`);
///                                      its `init` is the CREATE SEQUENCE,
///                                      which the original's reader runs too
///
/// Both hold `;;`-terminated statements like `triggers`: each CREATE is
/// preceded by the session settings (sql_mode, character sets, time zone)
/// mysqldump recorded for it, so it comes back with the same metadata.
/// Triggers get the same treatment; their `SET` lines are statements the
/// original's reader also runs unchanged. Rows are dumped with --hex-blob
/// (binary columns as 0x… literals) so binary data stays exact.
///
/// Names come from the `init` files; directory names only escape `/`, `%`
/// and a leading `.` (see `SQLText.fileName`).
enum MyFSLayout {
    static let directoryName = "myfs"
    static let initFile = "init"
    static let tablesDirectory = "tables"
    static let viewsDirectory = "views"
    static let rowsFile = "rows"
    static let triggersFile = "triggers"
    static let routinesFile = "routines"
    static let eventsFile = "events"
    static let viewPreFile = "pre"
    static let viewPostFile = "post"
    static let sequenceValueFile = "setval"

    /// mysql's log tables: their data is never dumped or loaded, and they
    /// are not dropped (a server logging to them refuses).
    static func isLogTable(database: [UInt8], table: [UInt8]) -> Bool {
        database == Array("mysql".utf8) && (table == Array("general_log".utf8) || table == Array("slow_log".utf8))
    }
}
