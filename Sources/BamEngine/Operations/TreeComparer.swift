#if canImport(Glibc)
import Glibc
#endif

/// Compares two directory trees entry by entry: type, permissions, owner,
/// whole-second mtime (not for symlinks), symlink target, device numbers
/// and file content. Used by `verify --compare`.
public struct TreeComparer {
    public let expected: String
    public let actual: String

    public init(expected: String, actual: String) {
        self.expected = expected
        self.actual = actual
    }

    /// One line per difference, naming the relative path.
    public func differences(limit: Int = 1000) throws -> [String] {
        var left: [SourceEntry] = []
        var right: [SourceEntry] = []
        var warnings: [String] = []
        try SourceWalker(root: Array(expected.utf8)).walk(visit: { left.append($0) }, warning: { warnings.append($0) })
        try SourceWalker(root: Array(actual.utf8)).walk(visit: { right.append($0) }, warning: { warnings.append($0) })
        var out = warnings
        var i = 0, j = 0
        func show(_ p: [UInt8]) -> String { p.isEmpty ? "." : Posix.display(p) }
        while (i < left.count || j < right.count) && out.count < limit {
            if j >= right.count || (i < left.count && PathOrder.less(left[i].path, right[j].path)) {
                out.append("\(show(left[i].path)): only in \(expected)"); i += 1; continue
            }
            if i >= left.count || PathOrder.less(right[j].path, left[i].path) {
                out.append("\(show(right[j].path)): only in \(actual)"); j += 1; continue
            }
            let a = left[i], b = right[j]
            i += 1; j += 1
            var what: [String] = []
            if a.type != b.type { out.append("\(show(a.path)): type differs"); continue }
            if a.type != .symlink && a.mode != b.mode { what.append(String(format: "mode %o vs %o", a.mode, b.mode)) }
            if a.uid != b.uid || a.gid != b.gid { what.append("owner \(a.uid):\(a.gid) vs \(b.uid):\(b.gid)") }
            if a.type != .symlink && a.mtime != b.mtime { what.append("mtime \(a.mtime) vs \(b.mtime)") }
            if a.linkTarget != b.linkTarget { what.append("symlink target") }
            if a.deviceMajor != b.deviceMajor || a.deviceMinor != b.deviceMinor { what.append("device numbers") }
            if a.type == .regular {
                if a.size != b.size { what.append("size \(a.size) vs \(b.size)") } else if try !sameContent(a.path) { what.append("content") }
            }
            if !what.isEmpty { out.append("\(show(a.path)): \(what.joined(separator: ", "))") }
        }
        return out
    }

    private func path(_ root: String, _ relative: [UInt8]) -> [UInt8] {
        relative.isEmpty ? Array(root.utf8) : Array(root.utf8) + [0x2f] + relative
    }

    private func sameContent(_ relative: [UInt8]) throws -> Bool {
        let a = try Posix.open(path(expected, relative), O_RDONLY)
        defer { close(a) }
        let b = try Posix.open(path(actual, relative), O_RDONLY)
        defer { close(b) }
        let size = 1 << 20
        let x = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        let y = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { x.deallocate(); y.deallocate() }
        while true {
            let n = try Posix.readFully(a, x, size, path: expected)
            let m = try Posix.readFully(b, y, size, path: actual)
            if n != m || memcmp(x, y, n) != 0 { return false }
            if n < size { return true }
        }
    }
}
