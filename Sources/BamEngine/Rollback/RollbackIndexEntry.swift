#if canImport(Glibc)
import Glibc
#endif

/// One line of a rollback store's `index`: the state of a path before the
/// restore, TAB-separated — `<path> - ` when it did not exist, else
/// `<path> <st_mode octal> <uid> <gid> <mtime seconds> <mtime nanoseconds>`.
struct RollbackIndexEntry {
    var path: [UInt8]
    /// nil: the path did not exist before the restore.
    var mode: UInt32?
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var mtime = timespec()

    var isDirectory: Bool { mode.map { $0 & UInt32(S_IFMT) == UInt32(S_IFDIR) } ?? false }

    init(path: [UInt8], stat st: stat?) {
        self.path = path
        if let st {
            mode = UInt32(st.st_mode)
            uid = st.st_uid
            gid = st.st_gid
            mtime = st.st_mtim
        }
    }

    var line: [UInt8] {
        guard let mode else { return path + Array("\t-".utf8) }
        return path + Array("\t\(String(mode, radix: 8))\t\(uid)\t\(gid)\t\(mtime.tv_sec)\t\(mtime.tv_nsec)".utf8)
    }

    static func parse(_ line: [UInt8], file: String, lineNumber: Int) throws -> RollbackIndexEntry {
        let fields = line.split(separator: PathBytes.tab, omittingEmptySubsequences: false).map(Array.init)
        func bad() -> BamError { BamError.corrupt(what: "\(file):\(lineNumber)", reason: "not a rollback index line") }
        guard let path = fields.first, path.first == PathBytes.slash else { throw bad() }
        if fields.count == 2 && fields[1] == Array("-".utf8) { return RollbackIndexEntry(path: path, stat: nil) }
        guard fields.count == 6,
              let mode = UInt32(String(decoding: fields[1], as: UTF8.self), radix: 8),
              let uid = UInt32(String(decoding: fields[2], as: UTF8.self)),
              let gid = UInt32(String(decoding: fields[3], as: UTF8.self)),
              let sec = Int(String(decoding: fields[4], as: UTF8.self)),
              let nsec = Int(String(decoding: fields[5], as: UTF8.self)) else { throw bad() }
        var entry = RollbackIndexEntry(path: path, stat: nil)
        entry.mode = mode
        entry.uid = uid
        entry.gid = gid
        entry.mtime = timespec(tv_sec: sec, tv_nsec: nsec)
        return entry
    }
}
