#if canImport(Glibc)
import Glibc
#endif

/// Every write, delete, chmod and chown a whole-system restore or a
/// rollback makes under a root goes through one of these. Paths are
/// `RootPath`s (no `..`, empty or `.` component can even be named), and
/// each is reached component by component with O_NOFOLLOW from the
/// root's descriptor: a symlink inside the root (Debian's
/// `/var/run -> /run`, an attacker's link in a restored tree) can never
/// send a write outside it. A symlink in a parent position is refused
/// with `BamError.unsafePath`. The same type confines reads of trees bam
/// did not make (an extract directory, the rollback store).
final class ConfinedRoot {
    let root: String
    private let rootFD: Int32
    let isRoot = geteuid() == 0

    init(root: String) throws {
        self.root = root
        rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFD < 0 { throw BamError.io(path: root, operation: "open root", errno: errno) }
    }

    deinit { close(rootFD) }

    /// The path as seen from outside (`<root>/etc/passwd`), for messages.
    func display(_ path: RootPath) -> String {
        (root == "/" ? "" : (root.hasSuffix("/") ? String(root.dropLast()) : root)) + (path.isRoot ? "/" : path.description)
    }

    /// A parent made when missing: gets its own parent's descriptor, its
    /// name and its path.
    typealias ParentMaker = (Int32, [UInt8], RootPath) throws -> Void

    /// Runs `body` with the parent directory of `path` and its last name;
    /// nil when a parent is missing and `create` is nil.
    func withParent<R>(of path: RootPath, create: ParentMaker? = nil, _ body: (Int32, [UInt8]) throws -> R) throws -> R? {
        let prefixes = path.prefixes
        guard let last = path.components.last else {
            throw BamError.invalid("the root directory itself cannot be changed this way")
        }
        var fd = dup(rootFD)
        if fd < 0 { throw BamError.io(path: root, operation: "dup", errno: errno) }
        defer { close(fd) }
        for (component, sofar) in zip(path.components.dropLast(), prefixes) {
            var next = openDirectory(fd, component)
            if next < 0 && errno == ENOENT {
                guard let create else { return nil }
                try create(fd, component, sofar)
                next = openDirectory(fd, component)
            }
            if next < 0 {
                let e = errno
                if e == ELOOP || e == ENOTDIR {
                    throw BamError.unsafePath(path: display(path), reason: "\(display(sofar)) is a symlink or not a directory")
                }
                throw BamError.io(path: display(sofar), operation: "open", errno: e)
            }
            close(fd)
            fd = next
        }
        return try body(fd, last)
    }

    private func openDirectory(_ parent: Int32, _ name: [UInt8]) -> Int32 {
        Posix.withCPath(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    /// nil when nothing is there, or when a parent is a symlink: what is
    /// behind it is not inside the root.
    func lstat(_ path: RootPath) throws -> stat? {
        do {
            return try lstatOrRefuse(path)
        } catch BamError.unsafePath {
            return nil
        }
    }

    /// The bytes of the regular files among `paths`: what a backup of
    /// them reads, for its progress. What vanished counts nothing.
    func regularFileBytes(_ paths: [RootPath]) throws -> Int64 {
        ByteCount.total(
            try paths.compactMap { path in
                guard let st = try lstat(path), (st.st_mode & S_IFMT) == S_IFREG else { return nil }
                return Int64(st.st_size)
            })
    }

    /// nil when nothing is there; `BamError.unsafePath` when a parent is a
    /// symlink or not a directory.
    func lstatOrRefuse(_ path: RootPath) throws -> stat? {
        if path.isRoot {
            var st = stat()
            return fstat(rootFD, &st) == 0 ? st : nil
        }
        let found: stat?? = try withParent(of: path) { fd, name in
            var st = stat()
            return Posix.withCPath(name) { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0 ? st : nil
        }
        return found ?? nil
    }

    /// Removes a non-directory, or an empty directory; false when it was not there.
    @discardableResult
    func remove(_ path: RootPath, directory: Bool = false) throws -> Bool {
        let done: Bool? = try withParent(of: path) { fd, name in
            if Posix.withCPath(name, { unlinkat(fd, $0, directory ? AT_REMOVEDIR : 0) }) == 0 { return true }
            if errno == ENOENT { return false }
            throw BamError.io(path: display(path), operation: directory ? "rmdir" : "unlink", errno: errno)
        }
        return done ?? false
    }

    /// Removes `path` and, when it is a directory, everything in it,
    /// walking by descriptors: a symlink inside is removed, never followed.
    @discardableResult
    func removeTree(_ path: RootPath) throws -> Bool {
        let done: Bool? = try withParent(of: path) { fd, name in
            try ConfinedRoot.removeTree(in: fd, name, display: display(path))
        }
        return done ?? false
    }

    private static func removeTree(in parent: Int32, _ name: [UInt8], display: String) throws -> Bool {
        var st = stat()
        guard Posix.withCPath(name, { fstatat(parent, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            if errno == ENOENT { return false }
            throw BamError.io(path: display, operation: "stat", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let fd = Posix.withCPath(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { throw BamError.io(path: display, operation: "open", errno: errno) }
            defer { close(fd) }
            for child in try Posix.listDirectory(fd: fd, display: display) {
                _ = try removeTree(in: fd, child, display: display + "/" + Posix.display(child))
            }
        }
        let flags = (st.st_mode & S_IFMT) == S_IFDIR ? AT_REMOVEDIR : 0
        if Posix.withCPath(name, { unlinkat(parent, $0, flags) }) != 0 && errno != ENOENT {
            throw BamError.io(path: display, operation: flags == 0 ? "unlink" : "rmdir", errno: errno)
        }
        return true
    }

    /// lchown, chmod (not for symlinks) and, when given, the times.
    func setMetadata(_ path: RootPath, uid: UInt32?, gid: UInt32?, mode: UInt32?, mtime: timespec?) throws {
        _ = try withParent(of: path) { fd, name in
            try ConfinedRoot.setMetadata(fd, name, uid: uid, gid: gid, mode: mode, mtime: mtime, display: display(path), isRoot: isRoot)
        }
    }

    static func setMetadata(
        _ fd: Int32, _ name: [UInt8], uid: UInt32?, gid: UInt32?, mode: UInt32?, mtime: timespec?,
        display: String, isRoot: Bool
    ) throws {
        var st = stat()
        guard Posix.withCPath(name, { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw BamError.io(path: display, operation: "stat", errno: errno)
        }
        if (uid != nil || gid != nil) && isRoot {
            if Posix.withCPath(name, { fchownat(fd, $0, uid ?? UInt32.max, gid ?? UInt32.max, AT_SYMLINK_NOFOLLOW) }) != 0 {
                throw BamError.io(path: display, operation: "chown", errno: errno)
            }
        }
        if let mode, (st.st_mode & S_IFMT) != S_IFLNK {
            if Posix.withCPath(name, { fchmodat(fd, $0, mode_t(mode & 0o7777), 0) }) != 0 {
                throw BamError.io(path: display, operation: "chmod", errno: errno)
            }
        }
        if let mtime {
            var times = [mtime, mtime]
            if Posix.withCPath(name, { utimensat(fd, $0, &times, AT_SYMLINK_NOFOLLOW) }) != 0 {
                throw BamError.io(path: display, operation: "set times of", errno: errno)
            }
        }
    }

    /// Makes a directory (mode `mode`, then chmod'ed to it past the umask);
    /// false when something was already there.
    @discardableResult
    func makeDirectory(_ path: RootPath, mode: mode_t, createParent: ParentMaker? = nil) throws -> Bool {
        let made: Bool? = try withParent(of: path, create: createParent) { fd, name in
            if Posix.withCPath(name, { mkdirat(fd, $0, mode) }) != 0 {
                if errno == EEXIST { return false }
                throw BamError.io(path: display(path), operation: "mkdir", errno: errno)
            }
            _ = Posix.withCPath(name) { fchmodat(fd, $0, mode, 0) }
            return true
        }
        guard let made else { throw BamError.io(path: display(path), operation: "mkdir", errno: ENOENT) }
        return made
    }

    /// Replaces whatever is at `path` (never a non-empty directory) with
    /// a copy of the object at `sourcePath` under `source` (another
    /// confined tree: an extract, the rollback store): content, type,
    /// mode, times, and owner `uid`/`gid` (the source's when nil). A
    /// directory already there only gets the metadata. Missing parents
    /// are made by `createParent`. False when the source is not there.
    @discardableResult
    func copyIn(
        from source: ConfinedRoot, _ sourcePath: RootPath, to path: RootPath, uid: UInt32? = nil, gid: UInt32? = nil,
        createParent: ParentMaker?
    ) throws -> Bool {
        let copied: Bool?? = try source.withParent(of: sourcePath) { sourceFD, sourceName in
            var st = stat()
            guard Posix.withCPath(sourceName, { fstatat(sourceFD, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                if errno == ENOENT { return false }
                throw BamError.io(path: source.display(sourcePath), operation: "stat", errno: errno)
            }
            return try withParent(of: path, create: createParent) { fd, name in
                try EntryCopy.copy(
                    from: EntryCopy.Source(directory: sourceFD, name: sourceName, stat: st, display: source.display(sourcePath)),
                    toDirectory: fd, name: name, display: display(path),
                    uid: uid ?? st.st_uid, gid: gid ?? st.st_gid, isRoot: isRoot)
                return true
            }
        }
        guard let copied, let copied else { return false }
        return copied
    }

    /// The content of the regular file at `path`; nil when nothing is
    /// there. Anything else there (a symlink, a device, a FIFO that would
    /// block) or a file over `limit` bytes is refused with the path.
    func readFile(_ path: RootPath, limit: Int) throws -> [UInt8]? {
        let read: [UInt8]?? = try withParent(of: path) { fd, name in
            let input = Posix.withCPath(name) { openat(fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
            if input < 0 {
                if errno == ENOENT { return nil }
                throw BamError.unsafePath(path: display(path), reason: "not a regular file (\(String(cString: strerror(errno))))")
            }
            defer { close(input) }
            var st = stat()
            guard fstat(input, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw BamError.unsafePath(path: display(path), reason: "not a regular file")
            }
            guard st.st_size <= limit else {
                throw BamError.corrupt(what: display(path), reason: "\(st.st_size) bytes, more than the \(limit) this file may have")
            }
            var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
            let n = try bytes.withUnsafeMutableBytes { try Posix.readFully(input, $0.baseAddress!, $0.count, path: display(path)) }
            guard n <= Int(st.st_size) else {
                throw BamError.corrupt(what: display(path), reason: "grew while being read")
            }
            return Array(bytes[0..<n])
        }
        return read ?? nil
    }

    /// Writes `bytes` to `path` atomically (a temporary name, then a
    /// rename), with `mode` and owner.
    func writeFile(_ path: RootPath, _ bytes: [UInt8], mode: mode_t, uid: UInt32, gid: UInt32) throws {
        let written: Void? = try withParent(of: path) { fd, name in
            let temp = EntryCopy.temporaryName()
            let output = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            if output < 0 { throw BamError.io(path: display(path), operation: "create", errno: errno) }
            do {
                try Posix.writeAll(output, bytes, path: display(path))
                if isRoot && fchown(output, uid, gid) != 0 { throw BamError.io(path: display(path), operation: "chown", errno: errno) }
                if fchmod(output, mode) != 0 { throw BamError.io(path: display(path), operation: "chmod", errno: errno) }
                if fsync(output) != 0 { throw BamError.io(path: display(path), operation: "fsync", errno: errno) }
                close(output)
                if Posix.withCPath(temp, { t in Posix.withCPath(name) { renameat(fd, t, fd, $0) } }) != 0 {
                    throw BamError.io(path: display(path), operation: "rename into place", errno: errno)
                }
            } catch {
                close(output)
                _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }
                throw error
            }
        }
        if written == nil { throw BamError.io(path: display(path), operation: "write", errno: ENOENT) }
    }

    /// Removes the partial copies (`EntryCopy`'s temporary names) a
    /// killed restore left in `directory`; returns how many.
    func removePartialCopies(in directory: RootPath) throws -> Int {
        func sweep(_ fd: Int32, _ shown: String) throws -> Int {
            var removed = 0
            for name in try Posix.listDirectory(fd: fd, display: shown) where EntryCopy.isTemporaryName(name) {
                var st = stat()
                guard Posix.withCPath(name, { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0,
                    (st.st_mode & S_IFMT) != S_IFDIR
                else { continue }
                if Posix.withCPath(name, { unlinkat(fd, $0, 0) }) == 0 { removed += 1 }
            }
            return removed
        }
        if directory.isRoot { return try sweep(rootFD, display(directory)) }
        let count: Int? = try withParent(of: directory) { parent, name in
            let fd = openDirectory(parent, name)
            if fd < 0 { return 0 }
            defer { close(fd) }
            return try sweep(fd, display(directory))
        }
        return count ?? 0
    }
}
