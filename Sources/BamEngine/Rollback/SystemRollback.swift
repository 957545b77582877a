import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SystemRollbackResult {
    public var removed: Int
    public var restoredFiles: Int
    public var restoredMetadata: Int
    public var purgedPackages: [String]
    public var warnings: [String]
}

/// `bam restore-rollback`: returns a root to its state before the last
/// restore, from the rollback store. Packages the restore installed are
/// purged first (the original purged last, after the files, which let the
/// purge disturb what had just been put back); then paths the restore
/// added are deleted, the saved originals moved back, the account files
/// put back, and every recorded path gets its owner, mode and times again,
/// deepest first so directory times stay as they were. The store is
/// removed at the end, and its parent directory's times restored.
public final class SystemRollback {
    let root: String
    let registry: Registry
    let progress: ProgressReporter

    public init(root: String, registry: Registry, progress: ProgressReporter = SilentProgress()) {
        self.root = root
        self.registry = registry
        self.progress = progress
    }

    public func run() throws -> SystemRollbackResult {
        let store = RollbackStore(root: root)
        guard store.exists else { throw BamError.invalid("no rollback data in \(store.path): there is no restore to undo") }
        let lock = try RunLock(path: registry.path + "/run.lock", purpose: "backup or restore")
        defer { lock.release() }
        // The whole index is checked before anything changes.
        let index = try store.loadIndex()
        let collector = WarningCollector(forwardingTo: progress)
        var result = SystemRollbackResult(removed: 0, restoredFiles: 0, restoredMetadata: 0, purgedPackages: [], warnings: [])

        // Databases first (the original's order), while the files their
        // servers need are still the restored ones.
        try DatabaseRestore.rollBack(store, progress: collector)

        let packages = try store.installedPackages()
        if !packages.isEmpty {
            try PackageInstaller(root: root, progress: collector).purge(packages)
            result.purgedPackages = packages
        }

        progress.report(.phase("rolling back files"))
        let confined = try ConfinedRoot(root: root)
        // Partial copies of a restore killed mid-file, beside their targets.
        var directories = Set<RootPath>([RootPath.root])
        for entry in index { directories.formUnion(entry.path.prefixes.dropLast()) }
        for directory in directories.sorted() {
            do {
                result.removed += try confined.removePartialCopies(in: directory)
            } catch BamError.unsafePath(let shown, let reason) {
                collector.report(.warning("not cleaned: \(shown): \(reason)"))
            }
        }
        // Paths the restore added (they did not exist before it: the
        // restore made them), deepest first. Nothing recorded as present
        // before the restore is ever removed.
        for entry in index.reversed() where entry.mode == nil {
            do {
                if try confined.removeTree(entry.path) { result.removed += 1 }
            } catch BamError.unsafePath(let shown, let reason) {
                collector.report(.warning("not removed: \(shown): \(reason)"))
            }
        }
        // Originals back in place.
        let originals = try ConfinedRoot(root: store.originals)
        for entry in index where entry.mode != nil && !entry.isDirectory {
            guard try originals.lstat(entry.path) != nil else { continue }
            if let st = try confined.lstat(entry.path), (st.st_mode & S_IFMT) == S_IFDIR {
                // The restore put a directory where a file was.
                try confined.removeTree(entry.path)
            }
            try confined.copyIn(from: originals, entry.path, to: entry.path, createParent: nil)
            result.restoredFiles += 1
        }
        let etc = try ConfinedRoot(root: store.etc)
        for kind in AccountFileKind.allCases {
            try confined.copyIn(from: etc, try RootPath.checked(Array("/\(kind.rawValue)".utf8)), to: kind.rootPath, createParent: nil)
        }
        // Owners, modes and times; children before their directories.
        for entry in index.reversed() where entry.mode != nil {
            guard let st = try confined.lstat(entry.path) else {
                collector.report(.warning("\(confined.display(entry.path)) existed before the restore but is gone and has no saved copy"))
                continue
            }
            try confined.setMetadata(
                entry.path, uid: entry.uid, gid: entry.gid,
                mode: (st.st_mode & S_IFMT) == S_IFLNK ? nil : entry.mode, mtime: entry.mtime)
            result.restoredMetadata += 1
        }

        let parent = store.loadParentState()
        try confined.removeTree(RollbackStore.rootPath)
        if let parent {
            if parent.mode == nil {
                _ = try? confined.remove(parent.path, directory: true)
            } else {
                try confined.setMetadata(parent.path, uid: parent.uid, gid: parent.gid, mode: parent.mode, mtime: parent.mtime)
            }
        }
        result.warnings = collector.warnings
        return result
    }
}
