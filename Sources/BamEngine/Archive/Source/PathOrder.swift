/// The order of entries in every duplicity archive: depth first, parent
/// before children, siblings by raw bytes; equivalently, paths compared
/// component by component. Comparing the joined bytes with `/` counted as
/// the lowest byte gives exactly that order (`a/b` before `a-b`).
public enum PathOrder {
    @inline(__always)
    static func rank(_ b: UInt8) -> UInt16 { b == 0x2f ? 0 : UInt16(b) + 1 }

    public static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            let x = a[i], y = b[i]
            if x != y { return rank(x) < rank(y) }
            i += 1
        }
        return a.count < b.count
    }

    /// True when `path` is `ancestor` or lies below it (the empty path is the root).
    public static func isWithin(_ path: [UInt8], _ ancestor: [UInt8]) -> Bool {
        if ancestor.isEmpty { return true }
        if path.count == ancestor.count { return path == ancestor }
        return path.count > ancestor.count && path[ancestor.count] == 0x2f && path.starts(with: ancestor)
    }
}
