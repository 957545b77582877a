import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a file (flock), held while a backup or restore
/// runs so two runs never work on one system at once. The kernel drops
/// the lock when the process dies, so a crash leaves no stale lock; the
/// file keeps the holder's pid only to name it in the error.
public final class RunLock {
    public let path: String
    private var fd: Int32

    /// Takes the lock or throws `BamError.locked` naming the holder.
    public init(path: String, purpose: String) throws {
        self.path = path
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try Posix.makeDirectories(parent, mode: 0o700) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw BamError.io(path: path, operation: "open lock file", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = String(decoding: (try? Posix.readFile(path)) ?? [], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            fd = -1
            throw BamError.locked("another \(purpose) is running (\(path) is locked\(holder.isEmpty ? "" : " by pid \(holder)"))")
        }
        _ = ftruncate(fd, 0)
        try? Posix.writeAll(fd, Array("\(getpid())\n".utf8), path: path)
    }

    /// Releases the lock (also done when the object goes away).
    public func release() {
        if fd >= 0 {
            _ = ftruncate(fd, 0)
            // Unlock explicitly: a child forked by another thread (gpg, a
            // hook) may still share this descriptor until it execs, and a
            // plain close would leave the lock held through it.
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
