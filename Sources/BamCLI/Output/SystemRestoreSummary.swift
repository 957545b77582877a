import BamEngine

/// The summary of a whole-system restore (or of its plan, simulated).
enum SystemRestoreSummary {
    static func idMap(_ map: [UInt32: UInt32]) -> JSONValue {
        .object(map.keys.sorted().map { (String($0), .int(Int64(map[$0]!))) })
    }

    static func fields(_ r: SystemRestoreResult, root: String) -> [(String, JSONValue)] {
        let plan = r.plan
        var fields: [(String, JSONValue)] = [
            ("operation", .string("restore")),
            ("simulated", .bool(r.simulated)),
            ("root", .string(root)),
            ("backup_profile_id", .string(plan.backupProfileID ?? "")),
            ("system_profile_id", .string(plan.systemProfileID)),
            ("files", .int(Int64(plan.overwrites.count))),
            ("stat_changes", .int(Int64(plan.statFixes))),
            ("deletions", .int(Int64(plan.deletions.count))),
            ("new_users", .array(plan.newUsers.map { .string($0) })),
            ("new_groups", .array(plan.newGroups.map { .string($0) })),
            ("uid_map", idMap(plan.users?.uidMap ?? [:])),
            ("gid_map", idMap(plan.users?.gidMap ?? [:])),
            ("packages_to_install", .array((plan.packages?.toInstall ?? []).map { .string($0) })),
            ("packages_already_installed", .array((plan.packages?.alreadyInstalled ?? []).map { .string($0) })),
            ("packages_blacklisted", .array((plan.packages?.blacklisted ?? []).map { .string($0) })),
        ]
        if r.simulated {
            // The lists only in a plan: a real restore may touch millions of paths.
            fields += [
                ("file_list", .array(plan.overwrites.map { .string($0.description) })),
                ("deletion_list", .array(plan.deletions.map { .string($0.description) })),
            ]
        } else {
            fields += [
                ("files_written", .int(Int64(r.filesWritten))),
                ("stat_fixed", .int(Int64(r.statFixed))),
                ("deleted", .int(Int64(r.deleted))),
                ("installed_packages", .array(r.installedPackages.map { .string($0) })),
                ("rollback", .string(r.rollbackPath ?? "")),
                ("mysql_databases", .array((r.databases?.mysql?.databases ?? []).map { .string($0) })),
                ("pgsql_databases", .array((r.databases?.pgsql ?? []).map { .string($0) })),
            ]
        }
        return fields
    }

    static func text(_ r: SystemRestoreResult, root: String) -> String {
        let plan = r.plan
        func map(_ m: [UInt32: UInt32]) -> String {
            m.isEmpty ? "none" : m.keys.sorted().map { "\($0)→\(m[$0]!)" }.joined(separator: " ")
        }
        var lines: [String] = []
        lines.append("backup of \(plan.backupProfileID ?? "unknown") onto \(root) (\(plan.systemProfileID))")
        lines.append("files: \(plan.overwrites.count) to write, \(plan.statFixes) owner/mode change(s), \(plan.deletions.count) deletion(s)")
        if r.simulated {
            lines += plan.overwrites.map { "  write  \($0)" }
            lines += plan.deletions.map { "  delete \($0)" }
        }
        lines.append("users: new \(plan.newUsers.isEmpty ? "none" : plan.newUsers.joined(separator: " ")); groups: new \(plan.newGroups.isEmpty ? "none" : plan.newGroups.joined(separator: " "))")
        lines.append("uid map: \(map(plan.users?.uidMap ?? [:])); gid map: \(map(plan.users?.gidMap ?? [:]))")
        if let p = plan.packages {
            lines.append("packages: to install \(p.toInstall.isEmpty ? "none" : p.toInstall.joined(separator: " ")); already installed \(p.alreadyInstalled.count); blacklisted \(p.blacklisted.isEmpty ? "none" : p.blacklisted.joined(separator: " "))")
        }
        if r.simulated {
            lines.append("(simulation: nothing was changed)")
        } else {
            lines.append("restored: \(r.filesWritten) file(s) written, \(r.statFixed) owner/mode fix(es), \(r.deleted) deletion(s); installed \(r.installedPackages.isEmpty ? "no packages" : r.installedPackages.joined(separator: " "))")
            if let d = r.databases, d.mysql != nil || d.pgsql != nil {
                lines.append("databases: MySQL \(d.mysql.map { $0.databases.joined(separator: " ") } ?? "none"); PostgreSQL \(d.pgsql?.joined(separator: " ") ?? "none")")
            }
            if let rollback = r.rollbackPath { lines.append("rollback data in \(rollback): 'bam restore-rollback --root \(root)' undoes this restore") }
        }
        return lines.joined(separator: "\n")
    }
}
