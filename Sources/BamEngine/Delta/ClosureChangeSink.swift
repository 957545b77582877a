/// Hands each change to a closure as a `FileSystemChange`.
struct ClosureChangeSink: FileSystemChangeSink {
    let body: (FileSystemChange) throws -> Void

    func overwrite(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32) throws {
        try body(.overwrite(path: try RootPath.checked(Array(path)), uid: uid, gid: gid))
    }

    func stat(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32, mode: UInt32) throws {
        try body(.stat(path: try RootPath.checked(Array(path)), uid: uid, gid: gid, mode: mode))
    }

    func deleted(_ path: UnsafeBufferPointer<UInt8>) throws {
        try body(.deleted(path: try RootPath.checked(Array(path))))
    }
}
