/// Merges the users and groups of a backup into those of the system being
/// restored onto, as the original did (see `AccountIdMerge` for the
/// rules): groups first, giving the gid map; the backup's passwd primary
/// gids rewritten through it; then passwd, giving the uid map.
///
/// Unlike the original, which restored shadow and gshadow as plain files
/// and so wiped the password of every user that exists only on the target,
/// shadow and gshadow are merged along: an entry merged from the backup
/// takes the backup's shadow line (the live one when the backup has
/// none), a live-only entry keeps its own, and a live entry kept as
/// `<name>_orig` keeps its own under that name. Live shadow lines of names
/// missing from passwd, and live lines that are not entries, are kept.
public struct UserDatabaseMerger {
    public init() {}

    /// `backup` is the database saved in the backup ("old"), `local` the
    /// one on the target system ("new").
    public func merge(backup: UserDatabase, local: UserDatabase) throws -> UserDatabaseMergeResult {
        let groups = try AccountIdMerge(kind: .group, old: backup.group, new: local.group).merge()

        var backupPasswd = backup.passwd
        backupPasswd.lines = backupPasswd.lines.map { line in
            guard case .entry(var entry) = line, let gid = entry.number(at: 3), let mapped = groups.idMap[gid] else {
                return line
            }
            entry.setNumber(mapped, at: 3)
            return .entry(entry)
        }
        let users = try AccountIdMerge(kind: .passwd, old: backupPasswd, new: local.passwd).merge()

        let database = UserDatabase(
            passwd: users.file,
            group: groups.file,
            shadow: Self.mergeShadow(
                kind: .shadow, merged: users.file, origins: users.origins, backup: backup.shadow, local: local.shadow),
            gshadow: Self.mergeShadow(
                kind: .gshadow, merged: groups.file, origins: groups.origins, backup: backup.gshadow,
                local: local.gshadow))
        return UserDatabaseMergeResult(
            database: database, uidMap: users.idMap, gidMap: groups.idMap,
            renamedUsers: users.renamed, renamedGroups: groups.renamed)
    }

    /// One shadow line per merged entry that has one, in the merged order.
    static func mergeShadow(
        kind: AccountFileKind, merged: AccountFile, origins: [[UInt8]: AccountIdMerge.Origin],
        backup: AccountFile?, local: AccountFile?
    ) -> AccountFile? {
        if backup == nil && local == nil { return nil }
        func byName(_ file: AccountFile?) -> [[UInt8]: AccountEntry] {
            var map: [[UInt8]: AccountEntry] = [:]
            for entry in file?.entries ?? [] where map[entry.nameBytes] == nil { map[entry.nameBytes] = entry }
            return map
        }
        let backupByName = byName(backup)
        let localByName = byName(local)

        var lines: [AccountFile.Line] = []
        var used = Set<[UInt8]>()
        for entry in merged.entries {
            let name = entry.nameBytes
            var shadow: AccountEntry?
            switch origins[name] {
            case .backup:
                shadow = backupByName[name] ?? localByName[name]
            case .local:
                shadow = localByName[name]
            case .localRenamed(let original):
                shadow = localByName[original]
                shadow?.nameBytes = name
                used.insert(original)
            case nil:
                // Added by the merge itself (a missing root): nothing to copy.
                shadow = backupByName[name] ?? localByName[name]
            }
            if let shadow {
                lines.append(.entry(shadow))
                used.insert(name)
            }
        }
        for entry in local?.entries ?? [] where !used.contains(entry.nameBytes) {
            lines.append(.entry(entry))
            used.insert(entry.nameBytes)
        }
        lines += (local?.otherLines ?? []).map { .other($0) }
        return AccountFile(kind: kind, lines: lines)
    }
}
