/// What the database part of a backup or restore did.
public struct DatabaseSummary: Equatable, Sendable {
    /// nil: the root has no MySQL server (or the limits selected nothing).
    public var mysql: MyFSSummary?
    /// The PostgreSQL databases dumped or restored; nil: no PostgreSQL.
    public var pgsql: [String]?

    public init(mysql: MyFSSummary? = nil, pgsql: [String]? = nil) {
        self.mysql = mysql
        self.pgsql = pgsql
    }
}

/// The databases of a root into the extras: MySQL/MariaDB as `myfs/`
/// (and the root's `etc/mysql/debian.cnf`, as the original kept it),
/// PostgreSQL as `pgfs/`. A server that is configured but cannot be
/// dumped stops the backup: the caller offers --skip-database and limits.
struct DatabaseBackup {
    let root: String
    let settings: DatabaseSettings
    let limits: [DatabaseLimit]
    let progress: ProgressReporter

    func run(extras: String) throws -> DatabaseSummary {
        var summary = DatabaseSummary()
        if let defaults = try settings.mysqlDefaults(root: root) {
            progress.report(.phase("dumping MySQL databases"))
            let selection = DatabaseSelection(engine: .mysql, limits: limits)
            summary.mysql = try MySQLDatabases(defaultsFile: defaults).backup(to: extras + "/" + MyFSLayout.directoryName, selection: selection)
            let debian = DatabaseSettings.rootPath(root, "/etc/mysql/debian.cnf")
            if Posix.fileExists(debian) {
                try Posix.makeDirectories(extras + "/etc/mysql", mode: 0o700)
                try Posix.writeFileAtomically(extras + "/etc/mysql/debian.cnf", try Posix.readFile(debian), mode: 0o600)
            }
        }
        if settings.hasPostgreSQL(root: root) {
            progress.report(.phase("dumping PostgreSQL databases"))
            let selection = DatabaseSelection(engine: .pgsql, limits: limits)
            summary.pgsql = try PostgreSQLDatabases(settings: settings).backup(to: extras + "/" + PgFSLayout.directoryName, selection: selection)
        }
        return summary
    }
}
