/// What `IncludedTreeWalker` reports, in plain byte order of the path. The
/// buffers are only valid during the callback.
enum WalkEvent {
    /// An included entry and its lstat fields.
    case entry(WalkedEntry)
    /// An entry that could not be examined: anything the profile says about
    /// it must be left alone rather than reported as deleted.
    case unknown(UnsafeBufferPointer<UInt8>)
    /// A directory whose contents could not be read: likewise for every
    /// path strictly below it.
    case unknownSubtree(UnsafeBufferPointer<UInt8>)
}
