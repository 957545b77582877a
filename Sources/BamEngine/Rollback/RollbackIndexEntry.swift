#if canImport(Glibc)
import Glibc
#endif

/// One line of a rollback store's `index`: the state of a path before the
/// restore, TAB-separated — `<path> - ` when it did not exist, else
/// `<path> <st_mode octal> <uid> <gid> <mtime seconds> <mtime nanoseconds>`.
struct RollbackIndexEntry {
    var path: RootPath
    /// nil: the path did not exist before the restore.
    var mode: UInt32?
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var mtime = timespec()

    var isDirectory: Bool { mode.map { $0 & UInt32(S_IFMT) == UInt32(S_IFDIR) } ?? false }

    init(path: RootPath, stat st: stat?) {
        self.path = path
        if let st {
            mode = UInt32(st.st_mode)
            uid = st.st_uid
            gid = st.st_gid
            mtime = st.st_mtim
        }
    }

    var line: [UInt8] {
        guard let mode else { return path.bytes + Array("\t-".utf8) }
        return path.bytes + Array("\t\(String(mode, radix: 8))\t\(uid)\t\(gid)\t\(mtime.tv_sec)\t\(mtime.tv_nsec)".utf8)
    }

    /// The path is everything before the trailing fields, so a name
    /// holding a TAB (the fsdelta allows one) reads back whole.
    static func parse(_ line: [UInt8], file: String, lineNumber: Int) throws -> RollbackIndexEntry {
        func bad() -> BamError { BamError.corrupt(what: "\(file):\(lineNumber)", reason: "not a rollback index line") }
        let fields = line.split(separator: PathBytes.tab, omittingEmptySubsequences: false).map(Array.init)
        func path(before trailing: Int) throws -> RootPath {
            guard fields.count > trailing else { throw bad() }
            let bytes = Array(fields[..<(fields.count - trailing)].joined(separator: [PathBytes.tab]))
            return try RootPath.parsed(bytes, file: file, lineNumber: lineNumber)
        }
        if fields.last == Array("-".utf8) { return RollbackIndexEntry(path: try path(before: 1), stat: nil) }
        let n = fields.count
        guard n >= 6,
            let mode = UInt32(String(decoding: fields[n - 5], as: UTF8.self), radix: 8),
            let uid = UInt32(String(decoding: fields[n - 4], as: UTF8.self)),
            let gid = UInt32(String(decoding: fields[n - 3], as: UTF8.self)),
            let sec = Int(String(decoding: fields[n - 2], as: UTF8.self)),
            let nsec = Int(String(decoding: fields[n - 1], as: UTF8.self)), (0..<1_000_000_000).contains(nsec)
        else { throw bad() }
        var entry = RollbackIndexEntry(path: try path(before: 5), stat: nil)
        entry.mode = mode
        entry.uid = uid
        entry.gid = gid
        entry.mtime = timespec(tv_sec: sec, tv_nsec: nsec)
        return entry
    }
}
