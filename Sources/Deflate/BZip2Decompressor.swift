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

    /// Decompresses `input`, handing the bytes it decodes to `emit`. Input
    /// after the end of the stream is not decoded (gpg ignores it too).
    public func decompress(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count && !isFinished {
            let count = min(input.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self))
            stream.pointee.avail_in = UInt32(count)
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: CChar.self)
                stream.pointee.avail_out = UInt32(output.count)
                let before = stream.pointee.avail_in
                let code = BZ2_bzDecompress(stream)
                if code != BZ_OK && code != BZ_STREAM_END { throw DeflateError.corrupt(Self.reason(code)) }
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
                if code == BZ_STREAM_END { isFinished = true }
                // A decoder that neither reads nor writes would spin forever.
                if produced == 0 && before > 0 && stream.pointee.avail_in == before && !isFinished {
                    throw DeflateError.corrupt("the bzip2 decoder made no progress")
                }
            } while !isFinished && (stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0)
            offset += count
        }
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
