import Foundation

/// What a rollback needs to know about a server's roles before a restore:
/// which roles there were (and whether each had a password or a VALID
/// UNTIL, which pg_dumpall's ALTER ROLE does not take away again) and
/// every membership. Attributes and per-role settings come back from the
/// pre-restore `.globals.sql`; this is what that file cannot undo.
struct PgRoleSnapshot: Codable, Equatable {
    struct Role: Codable, Equatable {
        let name: String
        let hasPassword: Bool
        let hasValidUntil: Bool
    }

    /// One row of pg_auth_members; `options` holds its remaining columns as
    /// jsonb text (admin_option, and inherit_option/set_option from
    /// PostgreSQL 16; jsonb sorts its keys), so a membership whose options
    /// changed counts as a different one.
    struct Membership: Codable, Hashable {
        let role: String
        let member: String
        let grantor: String?
        let options: String
    }

    let roles: [Role]
    let memberships: [Membership]
}

/// Rolling a server's roles back to a `PgRoleSnapshot`, in two steps
/// around the reload of the pre-restore dump (see `DatabaseRestore.rollBack`).
extension PostgreSQLDatabases {
    func roleSnapshot() throws -> PgRoleSnapshot {
        let query = """
            SELECT json_build_object(
              'roles', (SELECT coalesce(json_agg(json_build_object('name', rolname, 'hasPassword', rolpassword IS NOT NULL,
                                                         'hasValidUntil', rolvaliduntil IS NOT NULL) ORDER BY rolname), '[]')
                        FROM pg_authid),
              'memberships', (SELECT coalesce(json_agg(json_build_object('role', r.rolname, 'member', m.rolname, 'grantor', g.rolname,
                                                                         'options', (to_jsonb(a) - 'oid' - 'roleid' - 'member' - 'grantor')::text)), '[]')
                              FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                              LEFT JOIN pg_roles g ON g.oid = a.grantor))
            """
        return try psqlJSON(query)
    }

    /// Before the pre-restore globals are loaded again: memberships that
    /// were not there are revoked, and the roles that were get their
    /// per-role settings, comment and (if they had none) password and
    /// expiry cleared, so that loading the globals leaves exactly what
    /// they say.
    func clearRoleChanges(since snapshot: PgRoleSnapshot) throws {
        let now = try roleSnapshot()
        let existing = Set(now.roles.map(\.name))
        let recordedNames = Set(snapshot.roles.map(\.name)).intersection(existing)
        // Predefined roles (pg_*) cannot be altered, and no restore alters them.
        let recorded = snapshot.roles.filter { existing.contains($0.name) && !$0.name.hasPrefix("pg_") }
        let before = Set(snapshot.memberships)
        let grantedByWorks = try serverVersion() >= 160000
        var statements: [String] = []
        // Memberships of roles the restore created go with the role.
        for membership in now.memberships
        where !before.contains(membership)
            && recordedNames.contains(membership.role) && recordedNames.contains(membership.member)
        {
            var revoke = "REVOKE \(Self.quoted(membership.role)) FROM \(Self.quoted(membership.member))"
            // Since 16 a role can hold one membership per grantor, and
            // REVOKE without GRANTED BY means the current user's only.
            if grantedByWorks, let grantor = membership.grantor { revoke += " GRANTED BY \(Self.quoted(grantor))" }
            statements.append(revoke)
        }
        for role in recorded {
            statements.append("ALTER ROLE \(Self.quoted(role.name)) RESET ALL")
            statements.append("COMMENT ON ROLE \(Self.quoted(role.name)) IS NULL")
            if !role.hasPassword { statements.append("ALTER ROLE \(Self.quoted(role.name)) PASSWORD NULL") }
            // PostgreSQL has no way back to NULL; 'infinity' means the same.
            if !role.hasValidUntil { statements.append("ALTER ROLE \(Self.quoted(role.name)) VALID UNTIL 'infinity'") }
        }
        guard !statements.isEmpty else { return }
        _ = try psql(statements.map { $0 + ";" }.joined(separator: "\n"))
    }

    /// After the pre-restore databases are back: roles the restore created
    /// are dropped, with the privileges they hold in every database. A role
    /// that owns something is kept with a warning: the restore's databases
    /// are rolled back by now, so what it owns was made after the restore,
    /// and dropping it would lose data no backup holds. The bootstrap
    /// superuser and the role bam connects as are never dropped.
    func dropRolesCreated(since snapshot: PgRoleSnapshot, progress: ProgressReporter) throws {
        let kept = Set(snapshot.roles.map(\.name)).union(try psql("SELECT rolname FROM pg_roles WHERE oid = 10 OR rolname = current_user"))
        for role in try roleSnapshot().roles where !kept.contains(role.name) {
            let literal = Self.literal(role.name)
            let dependencies = """
                FROM pg_shdepend s LEFT JOIN pg_database d ON d.oid = s.dbid
                WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = \(literal))
                """
            let owning: [String] = try psqlJSON(
                "SELECT coalesce(json_agg(DISTINCT coalesce(d.datname, '(shared objects)')), '[]') \(dependencies) AND s.deptype = 'o'")
            guard owning.isEmpty else {
                progress.report(
                    .warning(
                        "PostgreSQL role \(role.name) was created by the restore but is kept: it owns objects made since the restore (in \(owning.sorted().joined(separator: ", "))); to finish, REASSIGN OWNED BY or DROP OWNED BY it in each, then DROP ROLE it"
                    ))
                continue
            }
            do {
                let holding: [String] = try psqlJSON("SELECT coalesce(json_agg(DISTINCT d.datname), '[]') \(dependencies) AND d.datname IS NOT NULL")
                // It owns nothing, so DROP OWNED only revokes what it was
                // granted (in that database, and on shared objects).
                for database in Set(holding + ["postgres"]).sorted() {
                    _ = try psql("DROP OWNED BY \(Self.quoted(role.name))", database: database)
                }
                _ = try psql("DROP ROLE \(Self.quoted(role.name))")
            } catch {
                progress.report(.warning("PostgreSQL role \(role.name) was created by the restore but could not be dropped: \(error)"))
            }
        }
    }

    private func serverVersion() throws -> Int {
        guard let line = try psql("SHOW server_version_num").first, let version = Int(line) else {
            throw BamError.external("PostgreSQL did not say its version")
        }
        return version
    }

    private func psqlJSON<T: Decodable>(_ query: String) throws -> T {
        let text = try psql(query).joined(separator: "\n")
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw BamError.external("PostgreSQL gave an unreadable answer to \(query): \(error)")
        }
    }
}
