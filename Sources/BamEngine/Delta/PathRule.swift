/// One entry of a path list (a profile's `dirindex.conf`, the `overrides`
/// file, limits on the command line): an absolute path, possibly a glob,
/// that includes or (written with a leading `-`) excludes a subtree.
public struct PathRule: Hashable, Sendable, CustomStringConvertible {
    /// The normalized absolute path; may hold the glob characters `*?[]`.
    public var path: String
    /// False for a `-` entry.
    public var isIncluded: Bool

    public init(path: String, isIncluded: Bool) {
        self.path = PathBytes.normalize(path) ?? path
        self.isIncluded = isIncluded
    }

    /// Parses `/path` or `-/path`; nil when the path is not absolute.
    public init?(_ text: String) {
        let excluded = text.hasPrefix("-")
        let rest = excluded ? String(text.dropFirst()) : text
        guard let normalized = PathBytes.normalize(rest) else { return nil }
        self.path = normalized
        self.isIncluded = !excluded
    }

    /// True when the path holds a glob character and so matches by pattern.
    public var isGlob: Bool { path.contains(where: { "*?[]".contains($0) }) }

    /// The rule as written in a path list: `-` prefix for an exclusion.
    public var description: String { (isIncluded ? "" : "-") + path }
}
