/// The kinds of tar entries bam writes and restores. Hard links are stored
/// as separate regular files, sockets are not stored (duplicity's rules).
public enum TarEntryType: UInt8, Sendable {
    case regular = 0x30  // '0'
    case symlink = 0x32  // '2'
    case characterDevice = 0x33
    case blockDevice = 0x34
    case directory = 0x35
    case fifo = 0x36
}

/// The header fields of one tar entry. `name` and `linkName` are raw bytes:
/// file names need not be UTF-8.
public struct TarEntry: Equatable {
    public var name: [UInt8]
    public var type: TarEntryType
    public var mode: UInt32  // permission bits incl. suid/sgid/sticky
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: Int64
    public var linkName: [UInt8] = []
    public var userName: [UInt8] = []
    public var groupName: [UInt8] = []
    public var deviceMajor: UInt32 = 0
    public var deviceMinor: UInt32 = 0

    public init(name: [UInt8], type: TarEntryType, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtime: Int64) {
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
    }
}

public enum TarFormat {
    public static let blockSize = 512
    /// duplicity pads every archive to whole records of 20 blocks.
    public static let recordSize = 10_240
}
