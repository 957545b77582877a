/// Which paths of the root go into a whole-system backup's overlay: the
/// `o` paths of the fsdelta, the directories on the way to them (so the
/// archive holds their owners and modes), and the extras grafted in as
/// `TKLBAM/`. Paths are relative to the root, as the archive walker gives them.
struct OverlaySelection {
    private var selected = Set<[UInt8]>()
    private var ancestors = Set<[UInt8]>()
    private let extras = Array(ExtrasLayout.overlayName.utf8)

    /// `olist` holds absolute paths (`/etc/motd`).
    init(olist: [RootPath]) {
        for path in olist where !path.isRoot {
            let relative = Array(path.bytes.dropFirst())
            selected.insert(relative)
            var cut = relative.count
            while let slash = relative[..<cut].lastIndex(of: PathBytes.slash) {
                cut = slash
                if !ancestors.insert(Array(relative[..<cut])).inserted { break }
            }
        }
    }

    var count: Int { selected.count }

    func includes(_ relative: [UInt8]) -> Bool {
        if relative.starts(with: extras) && (relative.count == extras.count || relative[extras.count] == PathBytes.slash) {
            return true
        }
        return selected.contains(relative) || ancestors.contains(relative)
    }

    /// The `o` paths of an `fsdelta-olist` file, one absolute path a line
    /// (an inspect hook may have edited it: each line is checked).
    static func readOlist(_ path: String) throws -> [RootPath] {
        guard Posix.fileExists(path) else { return [] }
        return try Posix.readFile(path).split(separator: PathBytes.newline).enumerated().map {
            try RootPath.parsed(Array($1), file: path, lineNumber: $0 + 1)
        }
    }
}
