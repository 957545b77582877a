/// What the previous backups know of one path: its metadata and, for a
/// regular file, its librsync signature. An incremental backup compares the
/// live file system against these.
public struct SignatureEntry {
    public var path: [UInt8]
    public var type: TarEntryType
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var mtime: Int64
    public var linkTarget: [UInt8]
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// The librsync signature (regular files backed up with one).
    public var signature: [UInt8]?
    /// The signature archive it came from, to name in an error about it.
    public var archive: String

    public init(tar entry: TarEntry, path: [UInt8], signature: [UInt8]?, archive: String = "") {
        self.path = path
        type = entry.type
        mode = entry.mode
        uid = entry.uid
        gid = entry.gid
        mtime = entry.mtime
        linkTarget = entry.linkName
        deviceMajor = entry.deviceMajor
        deviceMinor = entry.deviceMinor
        self.signature = signature
        self.archive = archive
    }

    /// duplicity's unchanged test: same type, and for files, directories and
    /// fifos equal mode, owner and whole-second mtime (size is not compared);
    /// symlinks by target; devices by permissions and numbers.
    public func matches(_ e: SourceEntry) -> Bool {
        guard type == e.type else { return false }
        switch type {
        case .regular, .directory, .fifo:
            return mode == e.mode && uid == e.uid && gid == e.gid && mtime == e.mtime
        case .symlink:
            return linkTarget == e.linkTarget
        case .characterDevice, .blockDevice:
            return mode == e.mode && deviceMajor == e.deviceMajor && deviceMinor == e.deviceMinor
        }
    }
}
