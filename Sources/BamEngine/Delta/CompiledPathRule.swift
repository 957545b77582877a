#if canImport(Glibc)
import Glibc
#endif

/// A `PathRule` split into components ready for matching: literal
/// components compare as bytes, glob components go through `fnmatch` one
/// component at a time, so `*` never crosses a `/` (as with the original's
/// `glob.glob`).
struct CompiledPathRule: Sendable {
    struct Component: Sendable {
        var bytes: [UInt8]
        /// NUL-terminated copy for `fnmatch`; empty for a literal component.
        var pattern: [CChar]
        var isGlob: Bool { !pattern.isEmpty }

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            let glob = bytes.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
            self.pattern = glob ? bytes.map { CChar(bitPattern: $0) } + [0] : []
        }

        /// Whether a single path component (no `/`) matches. Globs follow
        /// Python's `glob`: a leading `.` must be matched explicitly.
        func matches(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            if !isGlob {
                guard name.count == bytes.count else { return false }
                return bytes.withUnsafeBufferPointer { b in
                    name.count == 0 || memcmp(b.baseAddress!, name.baseAddress!, name.count) == 0
                }
            }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { buf in
                for i in 0..<name.count { buf[i] = CChar(bitPattern: name[i]) }
                buf[name.count] = 0
                return pattern.withUnsafeBufferPointer { fnmatch($0.baseAddress!, buf.baseAddress!, FNM_PERIOD) == 0 }
            }
        }

        func matches(_ name: [UInt8]) -> Bool { name.withUnsafeBufferPointer { matches($0) } }
    }

    var components: [Component]
    var isIncluded: Bool
    /// Position in the rule list: when several rules name the same path the
    /// later one wins, as the original's dictionary assignment did.
    var order: Int
    /// The joined parent path when every parent component is literal, so
    /// the common case compares one byte string per directory.
    var literalParent: [UInt8]?

    init(_ rule: PathRule, order: Int) {
        let parts = PathBytes.components(Array(rule.path.utf8))
        components = parts.map(Component.init)
        isIncluded = rule.isIncluded
        self.order = order
        let parents = components.dropLast()
        if parents.allSatisfy({ !$0.isGlob }) {
            literalParent = [PathBytes.slash] + parents.map(\.bytes).joined(separator: [PathBytes.slash])
        } else {
            literalParent = nil
        }
    }

    var depth: Int { components.count }

    /// Whether the first `directory.count` components match `directory`
    /// (the components of a directory path).
    func prefixMatches(_ directory: [[UInt8]]) -> Bool {
        guard directory.count <= components.count else { return false }
        for (i, name) in directory.enumerated() where !components[i].matches(name) { return false }
        return true
    }

    /// Whether this rule's parent is exactly the directory `path` (whose
    /// components are `directoryComponents`, computed lazily by the caller).
    func isChildRule(ofDirectory path: [UInt8], components directoryComponents: () -> [[UInt8]]) -> Bool {
        if let literalParent { return literalParent == path }
        let dir = directoryComponents()
        return dir.count == components.count - 1 && prefixMatches(dir)
    }
}
