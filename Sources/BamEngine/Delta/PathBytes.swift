#if canImport(Glibc)
import Glibc
#endif

/// Byte-level helpers for absolute paths held as `[UInt8]`. The dirindex
/// and fsdelta are sorted by plain byte order (what the original's Python 2
/// `sort()` gave), so every comparison here is `memcmp` order, never a
/// locale or Unicode order.
enum PathBytes {
    static let slash = UInt8(ascii: "/")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")

    /// memcmp order; a prefix sorts first.
    @inline(__always)
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in compare(pa, pb) } }
    }

    /// Whether `path` lies strictly below `directory` ("/a/b" is below "/a";
    /// everything but "/" itself is below "/").
    static func isStrictlyBelow(_ path: UnsafeBufferPointer<UInt8>, _ directory: UnsafeBufferPointer<UInt8>) -> Bool {
        if directory.count == 1 && directory[0] == slash { return path.count > 1 }
        guard path.count > directory.count + 1, path[directory.count] == slash else { return false }
        return memcmp(path.baseAddress!, directory.baseAddress!, directory.count) == 0
    }

    static func isStrictlyBelow(_ path: [UInt8], _ directory: [UInt8]) -> Bool {
        path.withUnsafeBufferPointer { p in directory.withUnsafeBufferPointer { d in isStrictlyBelow(p, d) } }
    }

    /// The components of an absolute path ("/" has none).
    static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: slash, omittingEmptySubsequences: true).map(Array.init)
    }

    /// `directory` joined with `name`; the root directory is "/".
    static func join(_ directory: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if directory.count == 1 && directory[0] == slash { return directory + name }
        return directory + [slash] + name
    }

    /// Normalizes an absolute path like Python's `abspath`: repeated and
    /// trailing slashes, `.` and `..` removed. Returns nil when `path` is not
    /// absolute.
    static func normalize(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
