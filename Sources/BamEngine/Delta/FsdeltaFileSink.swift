/// Writes `fsdelta` and `fsdelta-olist` lines straight to their files.
struct FsdeltaFileSink: FileSystemChangeSink {
    let fsdelta: ByteFileWriter
    let olist: ByteFileWriter

    func overwrite(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32) throws {
        fsdelta.append(UInt8(ascii: "o"))
        fsdelta.append(PathBytes.tab)
        fsdelta.append(path)
        fsdelta.append(PathBytes.tab)
        fsdelta.appendDecimal(UInt64(uid))
        fsdelta.append(PathBytes.tab)
        fsdelta.appendDecimal(UInt64(gid))
        fsdelta.append(PathBytes.newline)
        try fsdelta.lineDone()
        olist.append(path)
        olist.append(PathBytes.newline)
        try olist.lineDone()
    }

    func stat(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32, mode: UInt32) throws {
        fsdelta.append(UInt8(ascii: "s"))
        fsdelta.append(PathBytes.tab)
        fsdelta.append(path)
        fsdelta.append(PathBytes.tab)
        fsdelta.appendDecimal(UInt64(uid))
        fsdelta.append(PathBytes.tab)
        fsdelta.appendDecimal(UInt64(gid))
        fsdelta.append(PathBytes.tab)
        fsdelta.appendOctalMode(mode)
        fsdelta.append(PathBytes.newline)
        try fsdelta.lineDone()
    }

    func deleted(_ path: UnsafeBufferPointer<UInt8>) throws {
        fsdelta.append(UInt8(ascii: "d"))
        fsdelta.append(PathBytes.tab)
        fsdelta.append(path)
        fsdelta.append(PathBytes.newline)
        try fsdelta.lineDone()
    }
}
