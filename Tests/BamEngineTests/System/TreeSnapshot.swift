import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Every path of a small tree with its lstat fields (mtime to the
/// nanosecond) and content, to check a rollback restores it exactly.
struct TreeSnapshot: Equatable {
    var entries: [String: String] = [:]

    init(_ root: String, skipping skip: Set<String> = []) throws {
        try walk(root, "", skip)
    }

    private mutating func walk(_ root: String, _ relative: String, _ skip: Set<String>) throws {
        if skip.contains(relative) { return }
        var st = stat()
        guard lstat(root + relative, &st) == 0 else { return }
        var line = "\(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        switch st.st_mode & S_IFMT {
        case S_IFREG: line += " " + String(decoding: try Posix.readFile(root + relative), as: UTF8.self)
        case S_IFLNK: line += " -> " + Posix.display(try Posix.readlink(Array((root + relative).utf8)))
        default: break
        }
        entries[relative.isEmpty ? "/" : relative] = line
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try Posix.listDirectory(Array((root + relative).utf8)) {
                try walk(root, relative + "/" + String(decoding: name, as: UTF8.self), skip)
            }
        }
    }

    func differences(from other: TreeSnapshot) -> [String] {
        Set(entries.keys).union(other.entries.keys).sorted().compactMap { path in
            entries[path] == other.entries[path] ? nil : "\(path): \(other.entries[path] ?? "absent") -> \(entries[path] ?? "absent")"
        }
    }
}
