import Foundation

@testable import BamEngine

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway directory tree for engine tests: files, directories,
/// symlinks, sockets and odd names built under a fresh temp directory that
/// is removed when the tree goes away. Paths are relative to the tree.
final class ScratchTree {
    let path: String

    init(prefix: String = "bam-test-") throws {
        path = try Posix.makeTemporaryDirectory(prefix: prefix)
    }

    deinit {
        try? Posix.removeTree(Array(path.utf8))
    }

    func bytesPath(_ relative: [UInt8]) -> [UInt8] {
        Array(path.utf8) + (relative.first == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + relative
    }

    func full(_ relative: String) -> String {
        relative.hasPrefix("/") ? path + relative : path + "/" + relative
    }

    func directory(_ relative: String, mode: mode_t = 0o755) throws {
        try Posix.makeDirectories(full(relative), mode: 0o755)
        try chmod(relative, mode)
    }

    func file(_ relative: String, _ content: String = "", mode: mode_t = 0o644, mtime: Int? = nil) throws {
        try file(Array(relative.utf8), Array(content.utf8), mode: mode, mtime: mtime)
    }

    func file(_ relative: [UInt8], _ content: [UInt8], mode: mode_t = 0o644, mtime: Int? = nil) throws {
        let target = bytesPath(relative)
        if let slash = target.lastIndex(of: UInt8(ascii: "/")) {
            try Posix.makeDirectories(String(decoding: target[..<slash], as: UTF8.self), mode: 0o755)
        }
        let fd = try Posix.open(target, O_WRONLY | O_CREAT | O_TRUNC, mode)
        defer { close(fd) }
        try Posix.writeAll(fd, content, path: Posix.display(target))
        _ = fchmod(fd, mode)
        if let mtime { try setMtime(target, mtime) }
    }

    func symlink(_ relative: String, to target: String, mtime: Int? = nil) throws {
        if Glibc.symlink(target, full(relative)) != 0 {
            throw BamError.io(path: full(relative), operation: "symlink", errno: errno)
        }
        if let mtime { try setMtime(Array(full(relative).utf8), mtime) }
    }

    func socket(_ relative: String) throws {
        if mknod(full(relative), S_IFSOCK | 0o755, 0) != 0 {
            throw BamError.io(path: full(relative), operation: "mknod", errno: errno)
        }
    }

    func chmod(_ relative: String, _ mode: mode_t) throws {
        if Glibc.chmod(full(relative), mode) != 0 {
            throw BamError.io(path: full(relative), operation: "chmod", errno: errno)
        }
    }

    func remove(_ relative: String) throws {
        try Posix.removeTree(Array(full(relative).utf8))
    }

    func touch(_ relative: String, mtime: Int) throws {
        try setMtime(Array(full(relative).utf8), mtime)
    }

    func setMtime(_ absolute: [UInt8], _ mtime: Int) throws {
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        let rc = Posix.withCPath(absolute) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
        if rc != 0 { throw BamError.io(path: Posix.display(absolute), operation: "utimensat", errno: errno) }
    }

    func lstat(_ relative: String) throws -> stat {
        try Posix.lstat(Array(full(relative).utf8))
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Posix.readFile(full(relative)), as: UTF8.self)
    }

    func write(_ relative: String, _ content: String) throws {
        try Posix.writeFileAtomically(full(relative), Array(content.utf8), mode: 0o644)
    }
}
