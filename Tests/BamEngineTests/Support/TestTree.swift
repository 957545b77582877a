import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Builds throwaway trees for archive tests, with raw-byte names, and
/// removes them at the end.
final class TestTree {
    let root: String

    init(_ label: String) throws {
        let base = ProcessInfo.processInfo.environment["BAM_TEST_TMP"] ?? NSTemporaryDirectory()
        root = try Posix.makeTemporaryDirectory(in: base, prefix: "bam-test-\(label)-")
    }

    deinit { try? Posix.removeTree(Array(root.utf8)) }

    func path(_ relative: String) -> String { root + "/" + relative }
    func bytesPath(_ relative: [UInt8]) -> [UInt8] { Array(root.utf8) + [0x2f] + relative }

    /// A subdirectory path for a named area ("src", "out", ...), not created.
    func area(_ name: String) -> String { root + "/" + name }

    @discardableResult
    func file(_ relative: [UInt8], _ content: [UInt8], mode: mode_t = 0o644, uid: uid_t? = nil, gid: gid_t? = nil, mtime: Int? = nil) throws -> [UInt8] {
        let p = bytesPath(relative)
        try makeParents(p)
        let fd = try Posix.open(p, O_WRONLY | O_CREAT | O_TRUNC, mode)
        try Posix.writeAll(fd, content, path: Posix.display(p))
        close(fd)
        try finish(p, mode: mode, uid: uid, gid: gid, mtime: mtime)
        return p
    }

    func file(_ relative: String, _ content: String, mode: mode_t = 0o644, mtime: Int? = nil) throws {
        try file(Array(relative.utf8), Array(content.utf8), mode: mode, mtime: mtime)
    }

    func directory(_ relative: [UInt8], mode: mode_t = 0o755, uid: uid_t? = nil, gid: gid_t? = nil, mtime: Int? = nil) throws {
        let p = bytesPath(relative)
        try makeParents(p)
        if Posix.withCPath(p, { mkdir($0, mode) }) != 0 && errno != EEXIST { throw BamError.io(path: Posix.display(p), operation: "mkdir", errno: errno) }
        try finish(p, mode: mode, uid: uid, gid: gid, mtime: mtime)
    }

    func symlink(_ relative: [UInt8], to target: String) throws {
        let p = bytesPath(relative)
        try makeParents(p)
        if Posix.withCPath(p, { Glibc.symlink(target, $0) }) != 0 { throw BamError.io(path: Posix.display(p), operation: "symlink", errno: errno) }
    }

    func fifo(_ relative: [UInt8], mode: mode_t = 0o640) throws {
        let p = bytesPath(relative)
        try makeParents(p)
        if Posix.withCPath(p, { mkfifo($0, mode) }) != 0 { throw BamError.io(path: Posix.display(p), operation: "mkfifo", errno: errno) }
        try finish(p, mode: mode, uid: nil, gid: nil, mtime: 1_600_000_000)
    }

    func device(_ relative: [UInt8], character: Bool, major: UInt32, minor: UInt32) throws {
        let p = bytesPath(relative)
        try makeParents(p)
        let kind: mode_t = character ? S_IFCHR : S_IFBLK
        if Posix.withCPath(p, { mknod($0, kind | 0o660, dev_t(DeviceNumber.make(major: major, minor: minor))) }) != 0 {
            throw BamError.io(path: Posix.display(p), operation: "mknod", errno: errno)
        }
        try finish(p, mode: 0o660, uid: nil, gid: nil, mtime: 1_600_000_000)
    }

    func hardlink(_ relative: [UInt8], to existing: [UInt8]) throws {
        let p = bytesPath(relative)
        if Posix.withCPath(bytesPath(existing), { e in Posix.withCPath(p) { link(e, $0) } }) != 0 {
            throw BamError.io(path: Posix.display(p), operation: "link", errno: errno)
        }
    }

    func setMtime(_ relative: [UInt8], _ mtime: Int) {
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        _ = Posix.withCPath(bytesPath(relative)) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    private func makeParents(_ p: [UInt8]) throws {
        guard let cut = p.lastIndex(of: 0x2f) else { return }
        var current: [UInt8] = []
        for part in p[..<cut].split(separator: 0x2f, omittingEmptySubsequences: false) {
            current += (current.isEmpty && part.isEmpty) ? [] : [0x2f] + part
            if current.isEmpty { continue }
            _ = Posix.withCPath(current) { mkdir($0, 0o755) }
        }
    }

    private func finish(_ p: [UInt8], mode: mode_t, uid: uid_t?, gid: gid_t?, mtime: Int?) throws {
        if uid != nil || gid != nil {
            if Posix.withCPath(p, { lchown($0, uid ?? UInt32.max, gid ?? UInt32.max) }) != 0 {
                throw BamError.io(path: Posix.display(p), operation: "chown", errno: errno)
            }
        }
        _ = Posix.withCPath(p) { chmod($0, mode) }
        if let mtime {
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            _ = Posix.withCPath(p) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
        }
    }
}

/// Deterministic bytes for test files.
func testBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        out[i] = UInt8(truncatingIfNeeded: state)
    }
    return out
}
