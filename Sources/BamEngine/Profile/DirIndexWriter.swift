/// Writes a `dirindex`: records must come in strictly increasing byte
/// order of path (the walker produces them so), and the file appears under
/// its name only once `finish()` succeeds.
public final class DirIndexWriter {
    private let file: ByteFileWriter
    private var previousPath: [UInt8]?
    public private(set) var count = 0

    public init(path: String) throws {
        file = try ByteFileWriter(path: path)
    }

    public func append(_ record: DirIndexRecord) throws {
        if let previousPath, PathBytes.compare(previousPath, record.path) >= 0 {
            throw BamError.invalid(
                "\(file.path): \(Posix.display(record.path)) written out of order (dirindex must be sorted by path)")
        }
        previousPath = record.path
        try checkWritable(record.path, record.symlinkTarget)
        record.path.withUnsafeBufferPointer { file.append($0) }
        appendFields(mode: record.mode, uid: record.uid, gid: record.gid, size: record.size, mtime: record.mtime)
        if let target = record.symlinkTarget, !target.isEmpty {
            file.append(PathBytes.tab)
            file.append(target)
        }
        file.append(PathBytes.newline)
        count += 1
        try file.lineDone()
    }

    /// The walker's fast path: no record allocated, order already
    /// guaranteed (the walker also skips names with a TAB or newline).
    /// Returns false when a symlink target holding a TAB or newline had to
    /// be left out; the record then reads like one from an old profile.
    @discardableResult
    func append(_ entry: WalkedEntry) throws -> Bool {
        file.append(entry.path)
        appendFields(mode: entry.mode, uid: entry.uid, gid: entry.gid, size: entry.size, mtime: entry.mtime)
        var wroteTarget = true
        if let target = entry.symlinkTarget, !target.isEmpty {
            if target.contains(PathBytes.tab) || target.contains(PathBytes.newline) {
                wroteTarget = false
            } else {
                file.append(PathBytes.tab)
                file.append(target)
            }
        }
        file.append(PathBytes.newline)
        count += 1
        try file.lineDone()
        return wroteTarget
    }

    public func finish() throws {
        try file.finish()
    }

    private func appendFields(mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtime: Int64) {
        file.append(PathBytes.tab)
        file.appendHex(Int64(mode))
        file.append(PathBytes.tab)
        file.appendHex(Int64(uid))
        file.append(PathBytes.tab)
        file.appendHex(Int64(gid))
        file.append(PathBytes.tab)
        file.appendHex(size)
        file.append(PathBytes.tab)
        file.appendHex(mtime)
    }

    private func checkWritable(_ path: [UInt8], _ target: [UInt8]?) throws {
        if path.contains(PathBytes.tab) || path.contains(PathBytes.newline)
            || (target?.contains(PathBytes.tab) ?? false) || (target?.contains(PathBytes.newline) ?? false)
        {
            throw BamError.invalid("\(Posix.display(path)): a TAB or newline cannot be written to a dirindex")
        }
    }
}
