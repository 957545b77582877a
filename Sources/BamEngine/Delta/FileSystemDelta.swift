/// What changed on a system since its profile was made: walks the included
/// paths under `root`, compares each entry with the profile's dirindex and
/// yields `fsdelta` changes, with the original's rules:
///
/// - not in the profile: a directory gives `s`, a socket is ignored,
///   anything else gives `o`;
/// - in both, size or mtime changed: `o`, except for directories, sockets
///   and symlinks whose target is the one the profile recorded;
/// - otherwise mode, uid or gid changed: `s`;
/// - in the profile, selected by the path list, gone from the system: `d`.
///
/// Paths in the index and in the output are absolute as on the real
/// system; on disk each is looked up under `root`. Both sides arrive in
/// byte order of path and are compared by a sorted merge, so memory stays
/// flat however large the index. Only paths with a listed ancestor are
/// walked or reported deleted (the walk never covers the whole file system).
public struct FileSystemDelta {
    /// The directory that stands for `/` (`--root`).
    public var root: String
    /// The profile's dirindex; nil for the empty profile, where every
    /// included path counts as new.
    public var indexPath: String?
    /// The profile's `dirindex.conf` rules followed by the path overrides.
    public var limits: PathLimits

    public init(root: String = "/", indexPath: String?, limits: PathLimits) {
        self.root = root
        self.indexPath = indexPath
        self.limits = limits
    }

    public init(root: String = "/", indexPath: String?, rules: [PathRule]) {
        self.init(root: root, indexPath: indexPath, limits: PathLimits(rules))
    }

    /// Computes the changes in path order, handing each to `onChange`.
    public func compute(_ onChange: (FileSystemChange) throws -> Void) throws -> FileSystemDeltaSummary {
        try withoutActuallyEscaping(onChange) { body in
            try run(ClosureChangeSink(body: body))
        }
    }

    /// Writes `fsdelta` (every change) and `fsdelta-olist` (the paths of
    /// the `o` changes), each line ending in a newline.
    public func write(fsdeltaPath: String, olistPath: String) throws -> FileSystemDeltaSummary {
        let fsdelta = try ByteFileWriter(path: fsdeltaPath)
        let olist = try ByteFileWriter(path: olistPath)
        let summary = try run(FsdeltaFileSink(fsdelta: fsdelta, olist: olist))
        try fsdelta.finish()
        try olist.finish()
        return summary
    }

    private func run<Sink: FileSystemChangeSink>(_ sink: Sink) throws -> FileSystemDeltaSummary {
        var summary = FileSystemDeltaSummary()
        let reader = try indexPath.map { try DirIndexReader(path: $0) }
        var pending = try reader?.next()
        if pending != nil { summary.indexEntries += 1 }
        let decisions = PathDecisionCache(limits)

        func advance() throws {
            pending = try reader?.next()
            if pending != nil { summary.indexEntries += 1 }
        }

        /// Index records before `path` have no file-system entry: report the
        /// selected ones as deleted.
        func drain(before path: UnsafeBufferPointer<UInt8>?) throws {
            while let record = pending {
                let isBefore = record.path.withUnsafeBufferPointer { r in
                    path.map { PathBytes.compare(r, $0) < 0 } ?? true
                }
                if !isBefore { return }
                try record.path.withUnsafeBufferPointer { r in
                    if decisions.decision(r) == true {
                        try sink.deleted(r)
                        summary.deleted += 1
                    }
                }
                try advance()
            }
        }

        let walker = IncludedTreeWalker(root: root, limits: limits, readsSymlinkTargets: true)
        try walker.walk { event in
            switch event {
            case .entry(let entry):
                try drain(before: entry.path)
                if let record = pending, record.path.withUnsafeBufferPointer({ PathBytes.compare($0, entry.path) == 0 }) {
                    try compare(entry, with: record, sink, &summary)
                    try advance()
                } else if entry.isDirectory {
                    try sink.stat(entry.path, uid: entry.uid, gid: entry.gid, mode: entry.mode)
                    summary.statChanged += 1
                } else if !entry.isSocket {
                    try sink.overwrite(entry.path, uid: entry.uid, gid: entry.gid)
                    summary.overwritten += 1
                }
            case .unknown(let path):
                try drain(before: path)
                if let record = pending, record.path.withUnsafeBufferPointer({ PathBytes.compare($0, path) == 0 }) {
                    try advance()
                }
            case .unknownSubtree(let directory):
                var key = Array(directory)
                if key != [PathBytes.slash] { key.append(PathBytes.slash) }
                try key.withUnsafeBufferPointer { try drain(before: $0) }
                while let record = pending, PathBytes.isStrictlyBelow(record.path, Array(directory)) {
                    try advance()
                }
            }
        }
        try drain(before: nil)
        summary.walkedEntries = walker.entryCount
        summary.warnings = walker.warnings
        return summary
    }

    private func compare<Sink: FileSystemChangeSink>(
        _ entry: WalkedEntry, with record: DirIndexRecord, _ sink: Sink, _ summary: inout FileSystemDeltaSummary
    ) throws {
        if record.size != entry.size || record.mtime != entry.mtime {
            let sameTarget: Bool
            if entry.isSymlink, let recorded = record.symlinkTarget, !recorded.isEmpty, let target = entry.symlinkTarget {
                sameTarget = recorded.withUnsafeBufferPointer { PathBytes.compare($0, target) == 0 }
            } else {
                sameTarget = false
            }
            if !(entry.isDirectory || entry.isSocket || sameTarget) {
                try sink.overwrite(entry.path, uid: entry.uid, gid: entry.gid)
                summary.overwritten += 1
                return
            }
        }
        if record.mode != entry.mode || record.uid != entry.uid || record.gid != entry.gid {
            try sink.stat(entry.path, uid: entry.uid, gid: entry.gid, mode: entry.mode)
            summary.statChanged += 1
        }
    }
}
