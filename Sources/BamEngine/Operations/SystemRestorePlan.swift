/// What a whole-system restore will do, worked out before anything
/// changes: `--simulate` prints it, the restore carries it out.
public struct SystemRestorePlan {
    public var backupProfileID: String?
    public var systemProfileID: String
    /// The fsdelta after the restore limits.
    public var changes: [FileSystemChange]
    /// The merge of the backup's users and groups into the system's;
    /// nil when files are skipped or the backup has no account files.
    public var users: UserDatabaseMergeResult?
    /// Users and groups the backup adds to the system.
    public var newUsers: [String]
    public var newGroups: [String]
    /// nil when packages are skipped.
    public var packages: PackageInstaller.Plan?

    public var overwrites: [RootPath] { changes.compactMap { if case .overwrite(let p, _, _) = $0 { return p } else { return nil } } }
    public var statFixes: Int { changes.filter { if case .stat = $0 { return true } else { return false } }.count }
    public var deletions: [RootPath] { changes.compactMap { if case .deleted(let p) = $0 { return p } else { return nil } } }
}
