/// The merged account databases and how backup ids moved.
public struct UserDatabaseMergeResult: Equatable, Sendable {
    /// What to install on the target.
    public var database: UserDatabase
    /// Backup uid → merged uid, only for uids that changed; apply to the
    /// owners of restored files.
    public var uidMap: [UInt32: UInt32]
    /// Backup gid → merged gid, only for gids that changed.
    public var gidMap: [UInt32: UInt32]
    /// Local users kept as `<name>_orig` because an aliased backup user of
    /// the same name took a different uid.
    public var renamedUsers: [String]
    /// Likewise for groups.
    public var renamedGroups: [String]

    public init(
        database: UserDatabase, uidMap: [UInt32: UInt32], gidMap: [UInt32: UInt32],
        renamedUsers: [String] = [], renamedGroups: [String] = []
    ) {
        self.database = database
        self.uidMap = uidMap
        self.gidMap = gidMap
        self.renamedUsers = renamedUsers
        self.renamedGroups = renamedGroups
    }
}
