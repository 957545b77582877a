#if canImport(Glibc)
import Glibc
#endif

/// Copies one file-system object (not a directory's contents) with its
/// metadata: written under a temporary name and renamed into place, so a
/// reader never sees half a file and a hard link to the old file keeps
/// the old content.
enum EntryCopy {
    private static var counter = 0
    private static let temporaryPrefix = Array(".bam-copy-".utf8)

    /// The object to copy: a name in an open directory, and its lstat.
    struct Source {
        let directory: Int32
        let name: [UInt8]
        let stat: stat
        let display: String
    }

    /// A fresh temporary name, `.bam-copy-PID-N`: a restore killed while
    /// copying leaves one, which a rollback recognises and removes.
    static func temporaryName() -> [UInt8] {
        counter += 1
        return temporaryPrefix + Array("\(getpid())-\(counter)".utf8)
    }

    static func isTemporaryName(_ name: [UInt8]) -> Bool {
        guard name.starts(with: temporaryPrefix) else { return false }
        let rest = name.dropFirst(temporaryPrefix.count).split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        return rest.count == 2 && rest.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    static func copy(
        from source: Source, toDirectory fd: Int32, name: [UInt8], display: String,
        uid: UInt32, gid: UInt32, isRoot: Bool
    ) throws {
        let st = source.stat
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
            try ConfinedRoot.setMetadata(
                fd, name, uid: uid, gid: gid, mode: UInt32(st.st_mode), mtime: st.st_mtim,
                display: display, isRoot: isRoot)
            return
        }
        if existingIsDir, Posix.withCPath(name, { unlinkat(fd, $0, AT_REMOVEDIR) }) != 0 {
            throw BamError.io(path: display, operation: "remove the directory in the way at", errno: errno)
        }
        let temp = temporaryName()
        switch type {
        case S_IFREG:
            // O_NONBLOCK: should the source have become a FIFO since its
            // lstat, opening it must not wait for a writer.
            let input = Posix.withCPath(source.name) {
                openat(source.directory, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            }
            if input < 0 { throw BamError.io(path: source.display, operation: "open", errno: errno) }
            defer { close(input) }
            var opened = stat()
            guard fstat(input, &opened) == 0, (opened.st_mode & S_IFMT) == S_IFREG else {
                throw BamError.unsafePath(path: source.display, reason: "changed into something other than a regular file while being copied")
            }
            let output = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            if output < 0 { throw BamError.io(path: display, operation: "create", errno: errno) }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(input, $0.baseAddress!, $0.count, path: source.display) }
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
            let target = try Posix.readlink(at: source.directory, source.name, display: source.display)
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
            try ConfinedRoot.setMetadata(
                fd, temp, uid: uid, gid: gid, mode: UInt32(st.st_mode), mtime: st.st_mtim,
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
        if !parent.isEmpty { try Posix.makeDirectories(parent, mode: 0o700) }
        let fd = Posix.withCPath(parent.isEmpty ? [PathBytes.slash] : parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw BamError.io(path: Posix.display(parent), operation: "open", errno: errno) }
        defer { close(fd) }
        let sourceParent = Array(source[..<(source.lastIndex(of: PathBytes.slash) ?? 0)])
        let sourceFD = Posix.withCPath(sourceParent.isEmpty ? [PathBytes.slash] : sourceParent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if sourceFD < 0 { throw BamError.io(path: Posix.display(sourceParent), operation: "open", errno: errno) }
        defer { close(sourceFD) }
        let name = Array(destination[((destination.lastIndex(of: PathBytes.slash) ?? -1) + 1)...])
        let sourceName = Array(source[((source.lastIndex(of: PathBytes.slash) ?? -1) + 1)...])
        try copy(
            from: Source(directory: sourceFD, name: sourceName, stat: st, display: Posix.display(source)),
            toDirectory: fd, name: name, display: Posix.display(destination), uid: st.st_uid, gid: st.st_gid, isRoot: isRoot)
    }
}
