#if canImport(Glibc)
import Glibc
#endif

/// File operations confined to a destination directory. Every path is
/// opened component by component with O_NOFOLLOW from the destination's
/// descriptor, so a symlink restored earlier can never redirect a later
/// entry outside the tree (the classic tar symlink trick).
final class DestinationTree {
    let root: String
    let rootFD: Int32
    let isRoot = geteuid() == 0

    init(root: String) throws {
        self.root = root
        try Posix.makeDirectories(root, mode: 0o700)
        rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFD < 0 { throw BamError.io(path: root, operation: "open", errno: errno) }
    }

    deinit {
        invalidate()
        close(rootFD)
    }

    func display(_ path: [UInt8]) -> String {
        path.isEmpty ? root : root + "/" + Posix.display(path)
    }

    private var cachedParent: (path: ArraySlice<UInt8>, fd: Int32)?

    /// Forgets the cached parent descriptor (after a directory was removed).
    func invalidate() {
        if let c = cachedParent { close(c.fd) }
        cachedParent = nil
    }

    /// Runs `body` with the directory holding `path` (creating missing
    /// parents as 0700 directories, fixed later by their own entries) and
    /// the last component. Refuses a parent that is not a real directory.
    /// Consecutive entries share a parent, so the last one is kept open.
    func withParent<R>(of path: [UInt8], _ body: (Int32, [UInt8]) throws -> R) throws -> R {
        guard let r = try withParent(of: path, createMissing: true, body) else {
            throw BamError.io(path: display(path), operation: "open parent", errno: ENOENT)
        }
        return r
    }

    /// As above; with `createMissing` false a missing parent gives nil and
    /// creates nothing (a deletion below a deleted directory).
    func withParent<R>(of path: [UInt8], createMissing: Bool, _ body: (Int32, [UInt8]) throws -> R) throws -> R? {
        guard let cut = path.lastIndex(of: 0x2f) else {
            return try body(rootFD, path)
        }
        let parentPath = path[..<cut]
        let name = Array(path[(cut + 1)...])
        if let c = cachedParent, c.path == parentPath { return try body(c.fd, name) }
        invalidate()
        var fd = dup(rootFD)
        if fd < 0 { throw BamError.io(path: root, operation: "dup", errno: errno) }
        for component in parentPath.split(separator: 0x2f).map(Array.init) {
            var next = Posix.withCPath(component) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 && errno == ENOENT && !createMissing {
                close(fd)
                return nil
            }
            if next < 0 && errno == ENOENT {
                _ = Posix.withCPath(component) { mkdirat(fd, $0, 0o700) }
                next = Posix.withCPath(component) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if next < 0 {
                let e = errno
                close(fd)
                if e == ELOOP || e == ENOTDIR {
                    throw BamError.unsafePath(path: display(path), reason: "a parent directory is a symlink or not a directory")
                }
                throw BamError.io(path: display(path), operation: "open parent", errno: e)
            }
            close(fd)
            fd = next
        }
        cachedParent = (parentPath, fd)
        return try body(fd, name)
    }

    func lstat(at fd: Int32, _ name: [UInt8]) -> stat? {
        var st = stat()
        let rc = Posix.withCPath(name) { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }
        return rc == 0 ? st : nil
    }

    /// Removes whatever is at `name` in `fd` (a whole tree for a directory).
    func remove(at fd: Int32, _ name: [UInt8], display: String) throws {
        guard let st = lstat(at: fd, name) else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let sub = Posix.withCPath(name) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if sub < 0 { throw BamError.io(path: display, operation: "open", errno: errno) }
            defer { close(sub) }
            for child in try listDirectory(sub, display: display) { try remove(at: sub, child, display: display + "/" + Posix.display(child)) }
            if Posix.withCPath(name, { unlinkat(fd, $0, AT_REMOVEDIR) }) != 0 {
                throw BamError.io(path: display, operation: "rmdir", errno: errno)
            }
        } else if Posix.withCPath(name, { unlinkat(fd, $0, 0) }) != 0 {
            throw BamError.io(path: display, operation: "unlink", errno: errno)
        }
    }

    private func listDirectory(_ fd: Int32, display: String) throws -> [[UInt8]] {
        let copy = dup(fd)
        guard let dir = fdopendir(copy) else { close(copy); throw BamError.io(path: display, operation: "opendir", errno: errno) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let ent = readdir(dir) {
            let name = Posix.direntName(ent)
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    /// Applies owner (when running as root), permissions and mtime.
    func applyMetadata(at fd: Int32, _ name: [UInt8], _ e: TarEntry, display: String) throws {
        if isRoot {
            if Posix.withCPath(name, { fchownat(fd, $0, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) }) != 0 {
                throw BamError.io(path: display, operation: "chown", errno: errno)
            }
        }
        if e.type != .symlink {
            if Posix.withCPath(name, { fchmodat(fd, $0, mode_t(e.mode & 0o7777), 0) }) != 0 {
                throw BamError.io(path: display, operation: "chmod", errno: errno)
            }
        }
        var times = [timespec(tv_sec: Int(e.mtime), tv_nsec: 0), timespec(tv_sec: Int(e.mtime), tv_nsec: 0)]
        if Posix.withCPath(name, { utimensat(fd, $0, &times, AT_SYMLINK_NOFOLLOW) }) != 0 {
            throw BamError.io(path: display, operation: "set times of", errno: errno)
        }
    }
}
