/// Where the delta's changes go. Paths are only valid during the call, so
/// a sink writing lines straight to a file allocates nothing per change.
protocol FileSystemChangeSink {
    func overwrite(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32) throws
    func stat(_ path: UnsafeBufferPointer<UInt8>, uid: UInt32, gid: UInt32, mode: UInt32) throws
    func deleted(_ path: UnsafeBufferPointer<UInt8>) throws
}
