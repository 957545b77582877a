internal import CBzip2

/// Streaming BZip2 decompression with libbzip2: OpenPGP's compression
/// algorithm 3, which duplicity writes when gpg is told to. Decoded here
/// like ZIP and ZLIB, so that every decoder failure is reported as damage
/// (gpg, left to decode it alone, prints its error and hands back nothing).
/// Not thread-safe: one decompressor per stream.
public final class BZip2Decompressor: StreamDecompressor {
    private let stream: UnsafeMutablePointer<bz_stream>
    private let output: UnsafeMutableRawBufferPointer
    /// True once the end of the compressed stream has been decoded.
    public private(set) var isFinished = false

    public init(outputBufferSize: Int = 256 << 10) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        // verbosity 0, small 0: at most about 3.7 MB for 900k blocks.
        let code = BZ2_bzDecompressInit(stream, 0, 0)
        guard code == BZ_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DeflateError.corrupt(Self.reason(code))
        }
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public var outputBuffer: UnsafeMutableRawBufferPointer { output }

    public func markFinished() { isFinished = true }

    public func step(_ input: UnsafeRawBufferPointer) throws -> (consumed: Int, produced: Int, finished: Bool) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_out = UInt32(output.count)
        let code = BZ2_bzDecompress(stream)
        if code != BZ_OK && code != BZ_STREAM_END { throw DeflateError.corrupt(Self.reason(code)) }
        return (input.count - Int(stream.pointee.avail_in), output.count - Int(stream.pointee.avail_out), code == BZ_STREAM_END)
    }

    private static func reason(_ code: Int32) -> String {
        switch code {
        case BZ_DATA_ERROR: return "bzip2 data integrity error"
        case BZ_DATA_ERROR_MAGIC: return "not bzip2 data (bad magic)"
        case BZ_MEM_ERROR: return "bzip2 decoder out of memory"
        default: return "bzip2 code \(code)"
        }
    }
}
