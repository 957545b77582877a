#if canImport(Glibc)
import Glibc
#endif

/// One included entry, with the lstat fields a dirindex record holds.
struct WalkedEntry {
    var path: UnsafeBufferPointer<UInt8>
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    var mtime: Int64
    /// The link target of a symlink when the walker reads targets.
    var symlinkTarget: UnsafeBufferPointer<UInt8>?

    var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    var isSocket: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFSOCK) }
    var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
}
