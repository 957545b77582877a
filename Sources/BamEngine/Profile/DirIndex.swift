/// The `dirindex` file of a profile: whole-file helpers over
/// `DirIndexReader` and `DirIndexWriter` (which stream), and the index of a
/// live tree.
public enum DirIndex {
    public static let fileName = "dirindex"

    /// Every record of the dirindex at `path`, in file order. For large
    /// indexes prefer `DirIndexReader`, which streams.
    public static func read(_ path: String) throws -> [DirIndexRecord] {
        let reader = try DirIndexReader(path: path)
        var records: [DirIndexRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// Writes `records` sorted by path.
    public static func write(_ records: [DirIndexRecord], to path: String) throws {
        let writer = try DirIndexWriter(path: path)
        for record in records.sorted(by: { PathBytes.compare($0.path, $1.path) < 0 }) {
            try writer.append(record)
        }
        try writer.finish()
    }

    /// Indexes every path `rules` select under `root` (`--root`: the
    /// recorded paths are absolute as on the real system) and writes the
    /// dirindex to `path`, symlink targets included. Returns the number of
    /// records and what the walk had to leave out.
    public static func create(root: String, rules: [PathRule], to path: String) throws -> (
        records: Int, warnings: [WalkWarning]
    ) {
        let writer = try DirIndexWriter(path: path)
        let walker = IncludedTreeWalker(root: root, limits: PathLimits(rules), readsSymlinkTargets: true)
        var warnings: [WalkWarning] = []
        try walker.walk { event in
            guard case .entry(let entry) = event else { return }
            if try !writer.append(entry) {
                warnings.append(
                    WalkWarning(
                        path: Array(entry.path),
                        message: "symlink target holds a TAB or newline; recorded without its target"))
            }
        }
        try writer.finish()
        return (writer.count, walker.warnings + warnings)
    }
}
