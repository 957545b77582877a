import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a restore saves first so `bam restore-rollback` can undo it
/// (original: `/var/backups/tklbam-rollback`), mode 0700 under the root:
/// `etc/passwd`, `etc/group`, `etc/shadow`, `etc/gshadow`; `fsdelta` (the
/// changes applied); `index` (the pre-restore lstat of every changed path
/// and of the directories above them, see `RollbackIndexEntry`);
/// `originals/<abs path>` (files the restore replaces or deletes);
/// `newpkgs` (the packages it installed).
public struct RollbackStore {
    /// Relative to the root.
    public static let location = "/var/backups/bam-rollback"

    public let root: String
    public var path: String { (root.hasSuffix("/") ? String(root.dropLast()) : root) + Self.location }
    var etc: String { path + "/etc" }
    var fsdelta: String { path + "/fsdelta" }
    var index: String { path + "/index" }
    var originals: String { path + "/originals" }
    var newpkgs: String { path + "/newpkgs" }
    /// The state of the store's parent before the store was made.
    var parentState: String { path + "/parent" }

    public init(root: String) { self.root = root }

    public var exists: Bool { Posix.fileExists(index) }

    /// Saves the pre-restore state of `changes` (and of the account files)
    /// replacing any earlier store.
    static func create(root: String, changes: [FileSystemChange], confined: ConfinedRoot) throws -> RollbackStore {
        let store = RollbackStore(root: root)
        let parentPath = Array(((Self.location as NSString).deletingLastPathComponent).utf8)
        let storeBytes = Array(store.path.utf8)
        // The parent's state before this store (or an older one) changes it.
        var parentEntry = RollbackIndexEntry(path: parentPath, stat: try confined.lstat(parentPath))
        if Posix.fileExists(store.path) {
            if let old = try? Posix.readFile(store.parentState),
               let saved = try? RollbackIndexEntry.parse(Array(old.dropLast()), file: store.parentState, lineNumber: 1) {
                parentEntry = saved
            }
            try Posix.removeTree(storeBytes)
        }
        _ = try confined.withParent(of: Array(Self.location.utf8), create: { fd, name, _ in
            if Posix.withCPath(name, { mkdirat(fd, $0, 0o755) }) != 0 && errno != EEXIST {
                throw BamError.io(path: confined.display(parentPath), operation: "mkdir", errno: errno)
            }
        }) { fd, name in
            if Posix.withCPath(name, { mkdirat(fd, $0, 0o700) }) != 0 {
                throw BamError.io(path: store.path, operation: "mkdir", errno: errno)
            }
        }
        _ = chmod(store.path, 0o700)
        try Posix.writeFileAtomically(store.parentState, parentEntry.line + [PathBytes.newline], mode: 0o600)
        try Posix.makeDirectories(store.etc, mode: 0o700)
        try Posix.makeDirectories(store.originals, mode: 0o700)
        let isRoot = geteuid() == 0
        let rootPrefix = Array((root.hasSuffix("/") ? String(root.dropLast()) : root).utf8)

        var indexed = Set<[UInt8]>()
        var index: [RollbackIndexEntry] = []
        func record(_ path: [UInt8]) throws {
            var sofar: [UInt8] = []
            for component in PathBytes.components(path) {
                sofar += [PathBytes.slash] + component
                if indexed.insert(sofar).inserted { index.append(RollbackIndexEntry(path: sofar, stat: try confined.lstat(sofar))) }
            }
        }
        for kind in AccountFileKind.allCases {
            let path = Array("/etc/\(kind.rawValue)".utf8)
            try record(path)
            if let st = try confined.lstat(path), (st.st_mode & S_IFMT) == S_IFREG {
                try EntryCopy.copy(stat: st, from: rootPrefix + path, to: Array((store.etc + "/" + kind.rawValue).utf8), isRoot: isRoot)
            }
        }
        var fsdelta: [UInt8] = []
        for change in changes {
            fsdelta += change.line + [PathBytes.newline]
            try record(change.path)
            if case .stat = change { continue }
            // Content the restore replaces or deletes is kept whole.
            if let st = try confined.lstat(change.path), (st.st_mode & S_IFMT) != S_IFDIR {
                try EntryCopy.copy(stat: st, from: rootPrefix + change.path, to: Array(store.originals.utf8) + change.path, isRoot: isRoot)
            }
        }
        try Posix.writeFileAtomically(store.fsdelta, fsdelta, mode: 0o600)
        try Posix.writeFileAtomically(store.index, index.flatMap { $0.line + [PathBytes.newline] }, mode: 0o600)
        return store
    }

    func recordInstalled(_ packages: [String]) throws {
        try Posix.writeFileAtomically(newpkgs, Array(packages.map { $0 + "\n" }.joined().utf8), mode: 0o600)
    }

    func loadIndex() throws -> [RollbackIndexEntry] {
        let lines = try Posix.readFile(index).split(separator: PathBytes.newline).map(Array.init)
        return try lines.enumerated().map { try RollbackIndexEntry.parse($1, file: index, lineNumber: $0 + 1) }
    }

    func loadParentState() -> RollbackIndexEntry? {
        guard let bytes = try? Posix.readFile(parentState) else { return nil }
        return try? RollbackIndexEntry.parse(Array(bytes.split(separator: PathBytes.newline).first ?? []), file: parentState, lineNumber: 1)
    }

    func installedPackages() throws -> [String] {
        guard Posix.fileExists(newpkgs) else { return [] }
        return Profile.parsePackages(String(decoding: try Posix.readFile(newpkgs), as: UTF8.self))
    }
}
