import Crypto
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A full index of a root for "is it exactly as before" checks: every
/// path's type, mode, owner, size, mtime (nanoseconds), symlink target and
/// SHA-256 of its content.
struct SystemRootIndex {
    struct Entry: Equatable {
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var mtime: String
        var target: String
        var sha256: String
    }

    var entries: [String: Entry] = [:]

    init(root: String) throws {
        try walk(root: root, relative: "")
    }

    private mutating func walk(root: String, relative: String) throws {
        let full = root + relative
        var st = stat()
        guard lstat(full.isEmpty ? "/" : full, &st) == 0 else { return }
        var entry = Entry(
            mode: UInt32(st.st_mode), uid: st.st_uid, gid: st.st_gid, size: Int64(st.st_size),
            mtime: "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)", target: "", sha256: "")
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            entry.target = String(decoding: try Posix.readlink(Array(full.utf8)), as: UTF8.self)
        } else if type == S_IFREG {
            entry.sha256 = SHA256.hash(data: Data(try Posix.readFile(full))).map { String(format: "%02x", $0) }.joined()
        } else if type == S_IFDIR {
            entry.size = 0
        }
        entries[relative.isEmpty ? "/" : relative] = entry
        if type == S_IFDIR {
            for name in try Posix.listDirectory(Array(full.utf8)) {
                try walk(root: root, relative: relative + "/" + String(decoding: name, as: UTF8.self))
            }
        }
    }

    /// Differences from `other`, one line each, ignoring paths `ignore` says so of.
    func differences(from other: SystemRootIndex, ignore: (String) -> Bool, ignoreDirectoryTimes: (String) -> Bool) -> [String] {
        var out: [String] = []
        for path in Set(entries.keys).union(other.entries.keys).sorted() where !ignore(path) {
            switch (entries[path], other.entries[path]) {
            case (nil, _): out.append("added: \(path)")
            case (_, nil): out.append("missing: \(path)")
            case (var a?, var b?):
                if a.mode & UInt32(S_IFMT) == UInt32(S_IFDIR) && ignoreDirectoryTimes(path) { a.mtime = ""; b.mtime = "" }
                if a != b { out.append("changed: \(path): \(b) -> \(a)") }
            }
        }
        return out
    }
}
