#if canImport(Glibc)
import Glibc
#endif

/// One file-system object to back up, from lstat. `path` is relative to the
/// source root, components joined by `/`; the root itself is empty.
public struct SourceEntry {
    public var path: [UInt8]
    public var type: TarEntryType
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: Int64
    public var linkTarget: [UInt8] = []
    public var deviceMajor: UInt32 = 0
    public var deviceMinor: UInt32 = 0

    /// nil for sockets and anything else duplicity does not store.
    public init?(path: [UInt8], stat st: stat) {
        self.path = path
        switch st.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symlink
        case S_IFIFO: type = .fifo
        case S_IFCHR: type = .characterDevice
        case S_IFBLK: type = .blockDevice
        default: return nil
        }
        mode = UInt32(st.st_mode & 0o7777)
        uid = st.st_uid
        gid = st.st_gid
        size = type == .regular ? Int64(st.st_size) : 0
        mtime = max(0, Int64(st.st_mtim.tv_sec))
        if type == .characterDevice || type == .blockDevice {
            deviceMajor = DeviceNumber.major(UInt64(st.st_rdev))
            deviceMinor = DeviceNumber.minor(UInt64(st.st_rdev))
        }
        if type == .symlink { mode = 0o777 }
    }
}
