/// The databases of an extract back into a root's servers, after the
/// files: first each engine's full pre-restore dump into the rollback
/// store (so `bam restore-rollback` can put it back), then the backup's
/// databases that the restore limits select.
struct DatabaseRestore {
    let root: String
    let settings: DatabaseSettings
    let limits: [DatabaseLimit]
    let progress: ProgressReporter

    func run(extras: String, rollback: RollbackStore?) throws -> DatabaseSummary {
        var summary = DatabaseSummary()
        let myfs = extras + "/" + MyFSLayout.directoryName
        if Posix.fileExists(myfs) {
            guard let defaults = try settings.mysqlDefaults(root: root) else {
                throw BamError.invalid(
                    "the backup holds MySQL databases but \(root) has no MySQL server to restore them into (no /etc/mysql/debian.cnf and no mysql-defaults-file in the conf); install one, or use --skip-database"
                )
            }
            let mysql = try MySQLDatabases(defaultsFile: defaults)
            let selection = DatabaseSelection(engine: .mysql, limits: limits)
            var before: [String] = []
            if let rollback {
                progress.report(.phase("saving the MySQL databases for rollback"))
                try rollback.recordDatabaseSettings(settings)
                before = try mysql.client.databases()
                // Only what the restore replaces: a database it leaves alone
                // needs no saving (and cannot make the restore fail).
                _ = try mysql.backup(to: rollback.myfs, selection: selection.wholeDatabases)
            }
            progress.report(.phase("restoring MySQL databases"))
            let restored = try mysql.restore(from: myfs, selection: selection)
            if let rollback { try rollback.recordCreatedDatabases(restored.filter { !before.contains($0) }, engine: .mysql) }
            var s = MyFSSummary()
            s.databases = restored
            summary.mysql = s
        }
        let pgfs = extras + "/" + PgFSLayout.directoryName
        if Posix.fileExists(pgfs) {
            let pg = PostgreSQLDatabases(settings: settings)
            let selection = DatabaseSelection(engine: .pgsql, limits: limits)
            var before: [String] = []
            if let rollback {
                progress.report(.phase("saving the PostgreSQL databases for rollback"))
                try rollback.recordDatabaseSettings(settings)
                before = try pg.databases()
                try rollback.recordRoles(try pg.roleSnapshot())
                _ = try pg.backup(to: rollback.pgfs, selection: selection.wholeDatabases)
            }
            progress.report(.phase("restoring PostgreSQL databases"))
            let restored = try pg.restore(from: pgfs, selection: selection)
            if let rollback { try rollback.recordCreatedDatabases(restored.filter { !before.contains($0) }, engine: .pgsql) }
            summary.pgsql = restored
        }
        return summary
    }

    /// `bam restore-rollback`: the pre-restore dumps back in, and the
    /// databases the restore created dropped; PostgreSQL roles back as they
    /// were (MySQL accounts are rows of the `mysql` database, which the
    /// dump holds when the restore replaced it).
    static func rollBack(_ store: RollbackStore, progress: ProgressReporter) throws {
        guard let settings = try store.databaseSettings() else { return }
        if Posix.fileExists(store.myfs) || !store.createdDatabases(engine: .mysql).isEmpty {
            guard let defaults = try settings.mysqlDefaults(root: store.root) else {
                throw BamError.invalid("the rollback store has MySQL databases but \(store.root) has no MySQL server configured")
            }
            progress.report(.phase("rolling back MySQL databases"))
            let mysql = try MySQLDatabases(defaultsFile: defaults)
            try mysql.drop(store.createdDatabases(engine: .mysql))
            try mysql.restore(from: store.myfs, selection: DatabaseSelection(engine: .mysql, limits: []))
        }
        if Posix.fileExists(store.pgfs) || !store.createdDatabases(engine: .pgsql).isEmpty {
            progress.report(.phase("rolling back PostgreSQL databases"))
            let pg = PostgreSQLDatabases(settings: settings)
            try pg.drop(store.createdDatabases(engine: .pgsql))
            let roles = try store.recordedRoles()
            // Only with the pre-restore globals at hand to put back what
            // this clears.
            if let roles, Posix.fileExists(store.pgfs + "/" + PgFSLayout.globalsFile) { try pg.clearRoleChanges(since: roles) }
            _ = try pg.restore(from: store.pgfs, selection: DatabaseSelection(engine: .pgsql, limits: []))
            // Last, when the restored databases no longer use them.
            if let roles { try pg.dropRolesCreated(since: roles, progress: progress) }
        }
    }
}
