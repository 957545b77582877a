import Foundation

/// The database part of a rollback store: `myfs/` and `pgfs/` (full
/// pre-restore dumps, in the backup's own layouts), `databases.json` (how
/// the servers were reached; paths only, no secrets), and
/// `created-mysql` / `created-pgsql` (databases the restore added, which
/// a rollback drops), and `roles-pgsql.json` (the PostgreSQL roles and
/// memberships before the restore; see `PgRoleSnapshot`).
extension RollbackStore {
    var myfs: String { path + "/" + MyFSLayout.directoryName }
    var pgfs: String { path + "/" + PgFSLayout.directoryName }
    var databaseSettingsFile: String { path + "/databases.json" }

    func recordDatabaseSettings(_ settings: DatabaseSettings) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Posix.writeFileAtomically(databaseSettingsFile, Array(try encoder.encode(settings)) + [0x0a], mode: 0o600)
    }

    func databaseSettings() throws -> DatabaseSettings? {
        guard Posix.fileExists(databaseSettingsFile) else { return nil }
        do {
            return try JSONDecoder().decode(DatabaseSettings.self, from: Data(try Posix.readFile(databaseSettingsFile)))
        } catch let error as BamError {
            throw error
        } catch {
            throw BamError.corrupt(what: databaseSettingsFile, reason: "\(error)")
        }
    }

    func recordCreatedDatabases(_ names: [String], engine: DatabaseLimit.Engine) throws {
        try Posix.writeFileAtomically(path + "/created-\(engine.rawValue)", Array(names.map { $0 + "\n" }.joined().utf8), mode: 0o600)
    }

    func createdDatabases(engine: DatabaseLimit.Engine) -> [String] {
        guard let bytes = try? Posix.readFile(path + "/created-\(engine.rawValue)") else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    var pgsqlRolesFile: String { path + "/roles-pgsql.json" }

    func recordRoles(_ snapshot: PgRoleSnapshot) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Posix.writeFileAtomically(pgsqlRolesFile, Array(try encoder.encode(snapshot)) + [0x0a], mode: 0o600)
    }

    /// nil for a store written before bam recorded roles.
    func recordedRoles() throws -> PgRoleSnapshot? {
        guard Posix.fileExists(pgsqlRolesFile) else { return nil }
        do {
            return try JSONDecoder().decode(PgRoleSnapshot.self, from: Data(try Posix.readFile(pgsqlRolesFile)))
        } catch let error as BamError {
            throw error
        } catch {
            throw BamError.corrupt(what: pgsqlRolesFile, reason: "\(error)")
        }
    }
}
