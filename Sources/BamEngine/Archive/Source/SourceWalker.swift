#if canImport(Glibc)
import Glibc
#endif

/// Walks a source tree in archive order (see `PathOrder`), calling `visit`
/// for every storable entry. An entry that vanishes or cannot be read while
/// walking is reported through `warning` and skipped, never a failure.
public struct SourceWalker {
    public let root: [UInt8]
    /// Decides whether a relative path (and, for directories, its subtree) is walked.
    public var include: ([UInt8]) -> Bool = { _ in true }
    /// Top-level names read from another directory instead of the root
    /// (name → absolute directory): a whole-system backup stores its extras
    /// as `TKLBAM/` in the overlay without writing them into the root.
    /// `include` still decides for them and their contents.
    public var grafts: [[UInt8]: [UInt8]] = [:]

    public init(root: [UInt8]) {
        var r = root
        while r.count > 1 && r.last == 0x2f { r.removeLast() }
        self.root = r
    }

    public func walk(visit: (SourceEntry) throws -> Void, warning: (String) -> Void) throws {
        let st = try Posix.lstat(root)
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BamError.invalid("backup source \(Posix.display(root)) is not a directory")
        }
        guard let rootEntry = SourceEntry(path: [], stat: st) else { return }
        try visit(rootEntry)
        try walkDirectory([], visit: visit, warning: warning)
    }

    /// Where the entry at `relative` is on disk: below its graft's
    /// directory when its first component is grafted, else below the root.
    public func absolute(_ relative: [UInt8]) -> [UInt8] {
        if !grafts.isEmpty {
            let first = relative.split(separator: 0x2f, maxSplits: 1, omittingEmptySubsequences: false)
            if let head = first.first, let directory = grafts[Array(head)] {
                return first.count == 1 ? directory : directory + [0x2f] + Array(first[1])
            }
        }
        return relative.isEmpty ? root : (root == [0x2f] ? root + relative : root + [0x2f] + relative)
    }

    private func walkDirectory(_ relative: [UInt8], visit: (SourceEntry) throws -> Void, warning: (String) -> Void) throws {
        let dir = absolute(relative)
        var names: [[UInt8]]
        do { names = try Posix.listDirectory(dir) } catch {
            warning("cannot read directory \(Posix.display(dir)): \(error); its contents are not backed up")
            return
        }
        if relative.isEmpty && !grafts.isEmpty {
            names.removeAll { grafts[$0] != nil }
            names += grafts.keys
        }
        names.sort { a, b in a.lexicographicallyPrecedes(b) }
        for name in names {
            let child = relative.isEmpty ? name : relative + [0x2f] + name
            if !include(child) { continue }
            let full = absolute(child)
            let found: stat?
            do { found = try Posix.lstatIfExists(full) } catch {
                warning("cannot stat \(Posix.display(full)): \(error); skipped")
                continue
            }
            guard let st = found else {
                warning("\(Posix.display(full)) vanished during the backup; skipped")
                continue
            }
            guard var entry = SourceEntry(path: child, stat: st) else { continue }  // sockets
            if entry.type == .symlink {
                do { entry.linkTarget = try Posix.readlink(full) } catch {
                    warning("cannot read symlink \(Posix.display(full)): \(error); skipped")
                    continue
                }
            }
            try visit(entry)
            if entry.type == .directory { try walkDirectory(child, visit: visit, warning: warning) }
        }
    }
}
