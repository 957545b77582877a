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
    public static let location = String(decoding: rootPath.bytes, as: UTF8.self)

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

    /// Where the store lives, as a path of the root.
    static let rootPath = RootPath("/var/backups/bam-rollback")

    /// Saves the pre-restore state of `changes` (and of the account files)
    /// replacing any earlier store. Every read of the root and every write
    /// into the store is confined: a path the root reaches only through a
    /// symlink is neither saved nor recorded.
    static func create(root: String, changes: [FileSystemChange], confined: ConfinedRoot) throws -> RollbackStore {
        let store = RollbackStore(root: root)
        let parentPath = rootPath.prefixes.dropLast().last!
        // The parent's state before this store (or an older one) changes it.
        var parentEntry = RollbackIndexEntry(path: parentPath, stat: try confined.lstat(parentPath))
        if try confined.lstat(rootPath) != nil {
            if let old = try? Posix.readFile(store.parentState),
                let saved = try? RollbackIndexEntry.parse(Array(old.dropLast()), file: store.parentState, lineNumber: 1)
            {
                parentEntry = saved
            }
            try confined.removeTree(rootPath)
        }
        guard
            try confined.makeDirectory(
                rootPath, mode: 0o700,
                createParent: { fd, name, path in
                    if Posix.withCPath(name, { mkdirat(fd, $0, 0o755) }) != 0 && errno != EEXIST {
                        throw BamError.io(path: confined.display(path), operation: "mkdir", errno: errno)
                    }
                })
        else { throw BamError.io(path: store.path, operation: "mkdir", errno: EEXIST) }
        try Posix.writeFileAtomically(store.parentState, parentEntry.line + [PathBytes.newline], mode: 0o600)
        try Posix.makeDirectories(store.etc, mode: 0o700)
        try Posix.makeDirectories(store.originals, mode: 0o700)
        let etc = try ConfinedRoot(root: store.etc)
        let originals = try ConfinedRoot(root: store.originals)
        let makePrivateParent: ConfinedRoot.ParentMaker = { fd, name, path in
            if Posix.withCPath(name, { mkdirat(fd, $0, 0o700) }) != 0 && errno != EEXIST {
                throw BamError.io(path: originals.display(path), operation: "mkdir", errno: errno)
            }
        }

        var indexed = Set<RootPath>()
        var index: [RollbackIndexEntry] = []
        /// Records `path` and the directories above it as they are now.
        /// Below a symlink or a non-directory nothing is reachable (the
        /// restore refuses to write there), so nothing is recorded.
        func record(_ path: RootPath) throws -> stat? {
            var st: stat?
            for prefix in path.prefixes {
                st = try confined.lstat(prefix)
                if indexed.insert(prefix).inserted { index.append(RollbackIndexEntry(path: prefix, stat: st)) }
                if let found = st, prefix != path, (found.st_mode & S_IFMT) != S_IFDIR { return nil }
            }
            return st
        }
        for kind in AccountFileKind.allCases {
            let path = kind.rootPath
            if let st = try record(path), (st.st_mode & S_IFMT) == S_IFREG {
                try etc.copyIn(from: confined, path, to: try RootPath.checked(Array("/\(kind.rawValue)".utf8)), createParent: nil)
            }
        }
        var fsdelta: [UInt8] = []
        for change in changes {
            fsdelta += change.line + [PathBytes.newline]
            let st = try record(change.path)
            if case .stat = change { continue }
            // Content the restore replaces or deletes is kept whole.
            if let st, (st.st_mode & S_IFMT) != S_IFDIR {
                try originals.copyIn(from: confined, change.path, to: change.path, createParent: makePrivateParent)
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
        return try Profile.parsePackages(String(decoding: try Posix.readFile(newpkgs), as: UTF8.self), file: newpkgs)
    }
}
