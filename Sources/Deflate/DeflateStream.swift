/// A raw DEFLATE stream (RFC 1951) being written, taking each piece of
/// input either compressed or stored as it is (for data that would not
/// shrink: random, or already compressed).
public protocol DeflateStream: AnyObject {
    /// Compresses `input`, handing compressed bytes to `emit` as they are
    /// made. The call with `finish` true ends the stream; no call may
    /// follow it.
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Puts `input` into the stream uncompressed.
    func store(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// How hard volumes are compressed (conf's `compression`, `--compression`).
public enum VolumeCompression: String, Codable, Sendable, CaseIterable {
    /// ISA-L igzip level 2: about zlib level 1's ratio at several times
    /// its speed; 5-10% larger than duplicity's volumes on text and code.
    case fast
    /// zlib level 4 on every core (`ParallelZlibCompressor`): no larger
    /// than duplicity's volumes on the real trees measured (README), at
    /// about three times fast's CPU time. The default.
    case balanced
    /// zlib level 6, as gpg (and so duplicity) compresses: 10-20% smaller
    /// on text and code than `fast`, at five to ten times the CPU time,
    /// spread over every core.
    case best

    public func makeStream() throws -> DeflateStream {
        switch self {
        case .fast: return try IgzipCompressor(level: 2)
        case .balanced: return try ParallelZlibCompressor(level: 4)
        case .best: return try ParallelZlibCompressor(level: 6)
        }
    }
}
