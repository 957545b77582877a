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
        try saveJSON(settings, to: databaseSettingsFile)
    }

    func databaseSettings() throws -> DatabaseSettings? {
        try loadJSON(DatabaseSettings.self, from: databaseSettingsFile)
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
        try saveJSON(snapshot, to: pgsqlRolesFile)
    }

    /// nil for a store written before bam recorded roles.
    func recordedRoles() throws -> PgRoleSnapshot? {
        try loadJSON(PgRoleSnapshot.self, from: pgsqlRolesFile)
    }

    /// The store's JSON files: sorted keys, private, one line.
    private func saveJSON<T: Encodable>(_ value: T, to file: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Posix.writeFileAtomically(file, Array(try encoder.encode(value)) + [0x0a], mode: 0o600)
    }

    /// nil when the file is not there; what does not decode is damage.
    private func loadJSON<T: Decodable>(_ type: T.Type, from file: String) throws -> T? {
        guard Posix.fileExists(file) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(try Posix.readFile(file)))
        } catch let error as BamError {
            throw error
        } catch {
            throw BamError.corrupt(what: file, reason: "\(error)")
        }
    }
}
