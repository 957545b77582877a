import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SystemRestoreOptions {
    public enum Source {
        /// A storage target (`--address`); nil: the registry's own backup.
        case address(String?)
        /// An extract directory already on disk (`--raw-download` or `--dump` output).
        case extract(String)
    }

    public var root = "/"
    public var confDirectory = "/etc/bam"
    public var registry: Registry
    public var cacheRoot = "/var/cache/bam"
    public var source: Source = .address(nil)
    public var time: Int64?
    /// `--limits`: path rules select which files are restored, database
    /// limits which databases and tables.
    public var limits: [Overrides.Limit] = []
    public var skipFiles = false
    public var skipPackages = false
    public var skipDatabase = false
    /// Work out and return the plan; change nothing.
    public var simulate = false
    /// Restore onto a different appliance type.
    public var force = false
    /// The transport choices for downloading the backup.
    public var access = TargetAccess()

    public init(registry: Registry) { self.registry = registry }
}

public struct SystemRestoreResult {
    public var plan: SystemRestorePlan
    public var simulated: Bool
    public var filesWritten = 0
    public var statFixed = 0
    public var deleted = 0
    public var installedPackages: [String] = []
    public var rollbackPath: String?
    public var warnings: [String] = []
    /// The databases restored; nil when skipped.
    public var databases: DatabaseSummary?
}

/// A whole-system restore (`bam restore`): gets the extract (downloading
/// the overlay chain, or from a directory), checks the appliance type,
/// merges users and groups, then — after saving a rollback store —
/// installs the new packages, applies the changed files, fixes owners and
/// modes through the uid/gid maps, and applies the deletions. Hooks run
/// `pre`, `inspect` (in the extras directory), `post`, and `error`.
public final class SystemRestore {
    let options: SystemRestoreOptions
    let passphrase: () throws -> [UInt8]
    let progress: ProgressReporter

    public init(options: SystemRestoreOptions, passphrase: @escaping () throws -> [UInt8], progress: ProgressReporter = SilentProgress()) {
        self.options = options
        self.passphrase = passphrase
        self.progress = progress
    }

    public func run() throws -> SystemRestoreResult {
        let o = options
        let lock = try RunLock(path: o.registry.path + "/run.lock", purpose: "backup or restore")
        defer { lock.release() }
        let collector = WarningCollector(forwardingTo: progress)
        let systemID = ProfileID.detect(root: o.root)
        var hooks = HookRunner(
            directories: [o.confDirectory + "/hooks.d"], operation: .restore,
            environment: [
                "BAM_PROFILE_ID": systemID, "BAM_ROOT": o.root,
                "BAM_SKIP_FILES": o.skipFiles ? "1" : "0", "BAM_SKIP_PACKAGES": o.skipPackages ? "1" : "0",
                "BAM_SKIP_DATABASE": o.skipDatabase ? "1" : "0",
            ],
            progress: collector)
        var scratch: String?
        defer { if let scratch { try? Posix.removeTree(Array(scratch.utf8)) } }
        do {
            try hooks.run(.pre)
            let extract: String
            switch o.source {
            case .extract(let directory):
                extract = directory
            case .address(let given):
                let address = try given ?? RegistryBackupAddress.load(o.registry)
                try Posix.makeDirectories(o.cacheRoot, mode: 0o700)
                scratch = try Posix.makeTemporaryDirectory(in: o.cacheRoot, prefix: "system-restore-")
                extract = scratch! + "/extract"
                var archive = ArchiveRestoreOptions(address: address, destination: extract, scratchRoot: scratch!)
                archive.time = o.time
                archive.storage = o.access.openOptions(registryPath: o.registry.path)
                archive.storage.confDirectory = o.confDirectory
                progress.report(.phase("downloading the backup"))
                _ = try ArchiveRestore(options: archive, passphrase: try passphrase(), progress: progress).run()
            }
            let extras = ExtrasLayout(path: extract + "/" + ExtrasLayout.overlayName)
            guard Posix.fileExists(extras.path) else {
                throw BamError.invalid(
                    "\(extract) is not a whole-system backup extract (it has no \(ExtrasLayout.overlayName)/; a --raw-upload backup restores only with --raw-download)"
                )
            }
            try extras.checkPlainTree()
            hooks.environment["BAM_EXTRAS"] = extras.path
            let plan = try makePlan(extras: extras, extract: extract, systemID: systemID, warnings: collector)
            if let backupID = plan.backupProfileID, backupID != systemID, backupID != ProfileID.empty, !o.force {
                throw BamError.incompatible(
                    "the backup is of a \(backupID) system and \(o.root) is \(systemID): restoring onto a different appliance type needs --force")
            }
            try hooks.run(.inspect, directory: extras.path)
            var result = SystemRestoreResult(plan: plan, simulated: o.simulate)
            if o.simulate {
                result.warnings = collector.warnings
                return result
            }

            let confined = try ConfinedRoot(root: o.root)
            progress.report(.phase("saving rollback data"))
            let store = try RollbackStore.create(root: o.root, changes: plan.changes, confined: confined)
            result.rollbackPath = store.path
            try store.recordInstalled([])

            if let packages = plan.packages, !packages.toInstall.isEmpty || !packages.blacklisted.isEmpty {
                let outcome = try PackageInstaller(root: o.root, progress: collector).install(packages.toInstall + packages.blacklisted)
                result.installedPackages = outcome.installed
                try store.recordInstalled(outcome.installed)
            }
            if !o.skipFiles {
                progress.report(.phase("restoring files"))
                try applyFiles(plan, extract: extract, confined: confined, result: &result, warnings: collector)
            }
            if !o.skipDatabase {
                let conf = try BamConf.load(confDirectory: o.confDirectory)
                let limits = o.limits.compactMap { if case .database(let limit) = $0 { return limit } else { return nil } }
                result.databases = try DatabaseRestore(
                    root: o.root, settings: DatabaseSettings(conf: conf), limits: limits,
                    progress: collector
                ).run(extras: extras.path, rollback: store)
            }
            try hooks.run(.post)
            result.warnings = collector.warnings
            return result
        } catch {
            hooks.runError(error)
            throw error
        }
    }

    func makePlan(extras: ExtrasLayout, extract: String, systemID: String, warnings: ProgressReporter) throws -> SystemRestorePlan {
        let o = options
        let backupConf = Posix.fileExists(extras.backupConf) ? try BackupConfRecord.load(extras.backupConf) : nil
        var plan = SystemRestorePlan(
            backupProfileID: backupConf?.profileID, systemProfileID: systemID, changes: [],
            users: nil, newUsers: [], newGroups: [], packages: nil)
        if !o.skipFiles {
            let pathRules = o.limits.compactMap { if case .path(let rule) = $0 { return rule } else { return nil } }
            let limits = PathLimits(pathRules)
            if Posix.fileExists(extras.fsdelta) {
                let lines = try Posix.readFile(extras.fsdelta).split(separator: PathBytes.newline).map(Array.init)
                for (i, line) in lines.enumerated() {
                    let change = try FileSystemChange.parse(line, file: extras.fsdelta, lineNumber: i + 1)
                    if change.path.isWithin(RollbackStore.rootPath) {
                        // The store this restore is about to save; a backup
                        // of a system that was restored onto carries it.
                        warnings.report(.warning("\(change.path) is in bam's rollback store; not restored"))
                        continue
                    }
                    if pathRules.isEmpty || limits.isIncluded(change.path.bytes) { plan.changes.append(change) }
                }
            }
            if Posix.fileExists(extras.etc + "/passwd") && Posix.fileExists(extras.etc + "/group") {
                var backup = try UserDatabase.load(directory: extras.etc)
                try takeShadowFromOverlay(&backup, extract: extract)
                let local = try UserDatabase.load(directory: (o.root.hasSuffix("/") ? o.root : o.root + "/") + "etc")
                plan.users = try UserDatabaseMerger().merge(backup: backup, local: local)
                let localUsers = Set(local.passwd.entries.map(\.name))
                let localGroups = Set(local.group.entries.map(\.name))
                plan.newUsers = backup.passwd.entries.map(\.name).filter { !localUsers.contains($0) }
                plan.newGroups = backup.group.entries.map(\.name).filter { !localGroups.contains($0) }
                // The core path list backs up /etc/shadow and /etc/gshadow
                // as plain files; applied as such they would undo the merge
                // and wipe the passwords of users only this system has.
                let accountPaths = Set(AccountFileKind.allCases.map(\.rootPath))
                plan.changes.removeAll { accountPaths.contains($0.path) }
            }
        }
        if !o.skipPackages, Posix.fileExists(extras.newpkgs) {
            let names = try Profile.parsePackages(String(decoding: try Posix.readFile(extras.newpkgs), as: UTF8.self), file: extras.newpkgs)
            plan.packages = try PackageInstaller(root: o.root, progress: progress).plan(names)
        }
        return plan
    }

    /// The original client's extras carry only passwd and group: its
    /// shadow and gshadow travel as overlay files (when they changed from
    /// the profile). Without them the users it merges would come without
    /// their passwords, so they are read from the overlay, through a
    /// confined root (the extract is the backup's), when the extras lack them.
    private func takeShadowFromOverlay(_ backup: inout UserDatabase, extract: String) throws {
        guard backup.shadow == nil || backup.gshadow == nil else { return }
        let overlay = try ConfinedRoot(root: extract)
        func read(_ kind: AccountFileKind) throws -> AccountFile? {
            try overlay.readFile(kind.rootPath, limit: AccountFile.sizeLimit).map { AccountFile.parse($0, kind: kind) }
        }
        if backup.shadow == nil { backup.shadow = try read(.shadow) }
        if backup.gshadow == nil { backup.gshadow = try read(.gshadow) }
    }

    /// Users and groups, then the overlay, then owners and modes, then
    /// deletions. The extract is read, and the root written, through
    /// confined roots: no path of the backup reaches outside either.
    func applyFiles(
        _ plan: SystemRestorePlan, extract: String, confined: ConfinedRoot,
        result: inout SystemRestoreResult, warnings: ProgressReporter
    ) throws {
        let uidMap = plan.users?.uidMap ?? [:]
        let gidMap = plan.users?.gidMap ?? [:]
        func uid(_ id: UInt32) -> UInt32 { uidMap[id] ?? id }
        func gid(_ id: UInt32) -> UInt32 { gidMap[id] ?? id }
        if let users = plan.users { try writeAccountFiles(users.database, into: confined) }
        let source = try ConfinedRoot(root: extract)
        // A parent missing on this system is made like the backup's.
        let createParent: ConfinedRoot.ParentMaker = { fd, name, path in
            let st = try source.lstat(path)
            if Posix.withCPath(name, { mkdirat(fd, $0, 0o755) }) != 0 && errno != EEXIST {
                throw BamError.io(path: confined.display(path), operation: "mkdir", errno: errno)
            }
            if let st, (st.st_mode & S_IFMT) == S_IFDIR {
                try ConfinedRoot.setMetadata(
                    fd, name, uid: uid(st.st_uid), gid: gid(st.st_gid), mode: UInt32(st.st_mode),
                    mtime: nil, display: confined.display(path), isRoot: confined.isRoot)
            }
        }
        for change in plan.changes {
            guard case .overwrite(let path, let u, let g) = change else { continue }
            do {
                guard try confined.copyIn(from: source, path, to: path, uid: uid(u), gid: gid(g), createParent: createParent) else {
                    warnings.report(.warning("\(path) is in the fsdelta but not in the backup (it vanished while the backup ran); skipped"))
                    continue
                }
            } catch BamError.unsafePath(let shown, let reason) {
                // One path behind a symlink must not stop the whole restore.
                warnings.report(.warning("not restored: \(shown): \(reason)"))
                continue
            }
            result.filesWritten += 1
            progress.report(.item(path: path.description, bytes: 0))
        }
        for change in plan.changes {
            guard case .stat(let path, let u, let g, let mode) = change else { continue }
            do {
                if try confined.lstatOrRefuse(path) == nil {
                    guard mode & UInt32(S_IFMT) == UInt32(S_IFDIR) else { continue }
                    try confined.makeDirectory(path, mode: 0o700, createParent: createParent)
                }
                try confined.setMetadata(path, uid: uid(u), gid: gid(g), mode: mode, mtime: nil)
                result.statFixed += 1
            } catch BamError.unsafePath(let shown, let reason) {
                warnings.report(.warning("owner and mode not restored: \(shown): \(reason)"))
            }
        }
        for path in plan.deletions {
            do {
                guard let st = try confined.lstatOrRefuse(path), (st.st_mode & S_IFMT) != S_IFDIR else { continue }
                try confined.remove(path)  // its content is in the rollback store
                result.deleted += 1
            } catch BamError.unsafePath(let shown, let reason) {
                warnings.report(.warning("not deleted: \(shown): \(reason)"))
            }
        }
    }

    /// The merged account files, each replacing the root's atomically with
    /// its mode and owner (a new one: root's, and the kind's mode).
    private func writeAccountFiles(_ database: UserDatabase, into confined: ConfinedRoot) throws {
        let files: [(AccountFileKind, AccountFile?)] = [
            (.passwd, database.passwd), (.group, database.group),
            (.shadow, database.shadow), (.gshadow, database.gshadow),
        ]
        for case let (kind, file?) in files {
            let existing = try confined.lstat(kind.rootPath)
            try confined.writeFile(
                kind.rootPath, file.serialized(),
                mode: existing.map { mode_t($0.st_mode & 0o7777) } ?? mode_t(kind.defaultMode),
                uid: existing?.st_uid ?? 0, gid: existing?.st_gid ?? 0)
        }
    }
}
