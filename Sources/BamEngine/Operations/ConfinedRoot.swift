#if canImport(Glibc)
import Glibc
#endif

/// File operations on absolute paths of a system root (`--root`), each
/// reached component by component with O_NOFOLLOW from the root's
/// descriptor: a symlink inside the root (Debian's `/var/run -> /run`, an
/// attacker's link in a restored tree) can never send a write outside it.
/// A symlink in a parent position is refused with `BamError.unsafePath`.
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
    func display(_ path: [UInt8]) -> String {
        (root == "/" ? "" : (root.hasSuffix("/") ? String(root.dropLast()) : root)) + Posix.display(path)
    }

    /// Runs `body` with the parent directory of absolute `path` and its
    /// last name; nil when a parent is missing and `create` is nil.
    /// `create` makes a missing parent (given its absolute path and the
    /// descriptor of its own parent).
    func withParent<R>(of path: [UInt8], create: ((Int32, [UInt8], [UInt8]) throws -> Void)? = nil,
                       _ body: (Int32, [UInt8]) throws -> R) throws -> R? {
        let components = PathBytes.components(path)
        guard let last = components.last else {
            throw BamError.invalid("the root directory itself cannot be changed this way")
        }
        var fd = dup(rootFD)
        if fd < 0 { throw BamError.io(path: root, operation: "dup", errno: errno) }
        defer { close(fd) }
        var sofar: [UInt8] = []
        for component in components.dropLast() {
            sofar += [PathBytes.slash] + component
            var next = Posix.withCPath(component) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 && errno == ENOENT {
                guard let create else { return nil }
                try create(fd, component, sofar)
                next = Posix.withCPath(component) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
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

    /// nil when nothing is there, or when a parent is a symlink: what is
    /// behind it is not inside the root.
    func lstat(_ path: [UInt8]) throws -> stat? {
        if path == [PathBytes.slash] {
            var st = stat()
            return fstat(rootFD, &st) == 0 ? st : nil
        }
        do {
            let found: stat?? = try withParent(of: path) { fd, name in
                var st = stat()
                return Posix.withCPath(name) { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0 ? st : nil
            }
            return found ?? nil
        } catch BamError.unsafePath {
            return nil
        }
    }

    /// Removes a non-directory, or an empty directory; false when it was not there.
    @discardableResult
    func remove(_ path: [UInt8], directory: Bool = false) throws -> Bool {
        let done: Bool? = try withParent(of: path) { fd, name in
            if Posix.withCPath(name, { unlinkat(fd, $0, directory ? AT_REMOVEDIR : 0) }) == 0 { return true }
            if errno == ENOENT { return false }
            throw BamError.io(path: display(path), operation: directory ? "rmdir" : "unlink", errno: errno)
        }
        return done ?? false
    }

    /// lchown, chmod (not for symlinks) and, when given, the times.
    func setMetadata(_ path: [UInt8], uid: UInt32?, gid: UInt32?, mode: UInt32?, mtime: timespec?) throws {
        _ = try withParent(of: path) { fd, name in
            try ConfinedRoot.setMetadata(fd, name, uid: uid, gid: gid, mode: mode, mtime: mtime, display: display(path), isRoot: isRoot)
        }
    }

    static func setMetadata(_ fd: Int32, _ name: [UInt8], uid: UInt32?, gid: UInt32?, mode: UInt32?, mtime: timespec?,
                            display: String, isRoot: Bool) throws {
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

    /// Replaces whatever is at `path` (never a non-empty directory) with
    /// a copy of the file-system object at `source` (outside the root):
    /// content, type, mode, times, and owner `uid`/`gid` (the source's
    /// when nil). A directory already there only gets the metadata.
    /// Missing parents are made by `createParent`.
    func copyIn(from source: [UInt8], to path: [UInt8], uid: UInt32? = nil, gid: UInt32? = nil,
                createParent: ((Int32, [UInt8], [UInt8]) throws -> Void)?) throws {
        let st = try Posix.lstat(source)
        _ = try withParent(of: path, create: createParent) { fd, name in
            try EntryCopy.copy(from: source, stat: st, toDirectory: fd, name: name, display: display(path),
                               uid: uid ?? st.st_uid, gid: gid ?? st.st_gid, isRoot: isRoot)
        }
    }
}
