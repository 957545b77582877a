#if canImport(Glibc)
import Glibc
#endif

/// Copies one file-system object (not a directory's contents) with its
/// metadata: written under a temporary name and renamed into place, so a
/// reader never sees half a file and a hard link to the old file keeps
/// the old content.
enum EntryCopy {
    private static var counter = 0

    static func copy(from source: [UInt8], stat st: stat, toDirectory fd: Int32, name: [UInt8], display: String,
                     uid: UInt32, gid: UInt32, isRoot: Bool) throws {
        var existing = stat()
        let exists = Posix.withCPath(name) { fstatat(fd, $0, &existing, AT_SYMLINK_NOFOLLOW) } == 0
        let type = st.st_mode & S_IFMT
        let existingIsDir = exists && (existing.st_mode & S_IFMT) == S_IFDIR
        if type == S_IFDIR {
            if exists && !existingIsDir, Posix.withCPath(name, { unlinkat(fd, $0, 0) }) != 0 {
                throw BamError.io(path: display, operation: "unlink", errno: errno)
            }
            if !existingIsDir, Posix.withCPath(name, { mkdirat(fd, $0, 0o700) }) != 0 {
                throw BamError.io(path: display, operation: "mkdir", errno: errno)
            }
            try ConfinedRoot.setMetadata(fd, name, uid: uid, gid: gid, mode: UInt32(st.st_mode), mtime: st.st_mtim,
                                         display: display, isRoot: isRoot)
            return
        }
        if existingIsDir, Posix.withCPath(name, { unlinkat(fd, $0, AT_REMOVEDIR) }) != 0 {
            throw BamError.io(path: display, operation: "remove the directory in the way at", errno: errno)
        }
        counter += 1
        let temp = Array(".bam-copy-\(getpid())-\(counter)".utf8)
        switch type {
        case S_IFREG:
            let input = Posix.withCPath(source) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            if input < 0 { throw BamError.io(path: Posix.display(source), operation: "open", errno: errno) }
            defer { close(input) }
            let output = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            if output < 0 { throw BamError.io(path: display, operation: "create", errno: errno) }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(input, $0.baseAddress!, $0.count, path: Posix.display(source)) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try Posix.writeAll(output, $0.baseAddress!, n, path: display) }
                }
                close(output)
            } catch {
                close(output)
                _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }
                throw error
            }
        case S_IFLNK:
            let target = try Posix.readlink(source)
            if Posix.withCPath(target, { t in Posix.withCPath(temp) { symlinkat(t, fd, $0) } }) != 0 {
                throw BamError.io(path: display, operation: "symlink", errno: errno)
            }
        case S_IFIFO:
            if Posix.withCPath(temp, { mkfifoat(fd, $0, 0o600) }) != 0 { throw BamError.io(path: display, operation: "mkfifo", errno: errno) }
        case S_IFCHR, S_IFBLK:
            if Posix.withCPath(temp, { mknodat(fd, $0, type | 0o600, st.st_rdev) }) != 0 {
                throw BamError.io(path: display, operation: "mknod", errno: errno)
            }
        default:
            return  // sockets are never copied
        }
        do {
            try ConfinedRoot.setMetadata(fd, temp, uid: uid, gid: gid, mode: UInt32(st.st_mode), mtime: st.st_mtim,
                                         display: display, isRoot: isRoot)
            if Posix.withCPath(temp, { t in Posix.withCPath(name) { renameat(fd, t, fd, $0) } }) != 0 {
                throw BamError.io(path: display, operation: "rename into place", errno: errno)
            }
        } catch {
            _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }
            throw error
        }
    }

    /// Copies `source` to the plain path `destination` (outside any root),
    /// creating its parents 0700: the dump and the rollback store.
    static func copy(from source: [UInt8], to destination: [UInt8], isRoot: Bool) throws {
        let st = try Posix.lstat(source)
        try copy(stat: st, from: source, to: destination, isRoot: isRoot)
    }

    static func copy(stat st: stat, from source: [UInt8], to destination: [UInt8], isRoot: Bool) throws {
        let parent = Array(destination[..<(destination.lastIndex(of: PathBytes.slash) ?? 0)])
        if !parent.isEmpty { try Posix.makeDirectories(Posix.display(parent), mode: 0o700) }
        let fd = Posix.withCPath(parent.isEmpty ? [PathBytes.slash] : parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw BamError.io(path: Posix.display(parent), operation: "open", errno: errno) }
        defer { close(fd) }
        let name = Array(destination[((destination.lastIndex(of: PathBytes.slash) ?? -1) + 1)...])
        try copy(from: source, stat: st, toDirectory: fd, name: name, display: Posix.display(destination),
                 uid: st.st_uid, gid: st.st_gid, isRoot: isRoot)
    }
}
