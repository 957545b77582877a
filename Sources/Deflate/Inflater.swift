internal import CIsal

/// Streaming DEFLATE decompression with ISA-L (about four times faster
/// than zlib), of a raw RFC 1951 stream or a zlib RFC 1950 one (whose
/// Adler-32 it checks). Not thread-safe: one inflater per stream.
public final class Inflater: StreamDecompressor {
    public enum Format { case raw, zlib }

    private let state: UnsafeMutablePointer<inflate_state>
    private let output: UnsafeMutableRawBufferPointer
    /// True once the end of the compressed stream has been decoded.
    public private(set) var isFinished = false

    public init(format: Format, outputBufferSize: Int = 256 << 10) {
        state = .allocate(capacity: 1)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(format == .zlib ? ISAL_ZLIB : ISAL_DEFLATE)
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
    }

    deinit {
        state.deallocate()
        output.deallocate()
    }

    public var outputBuffer: UnsafeMutableRawBufferPointer { output }

    public func markFinished() { isFinished = true }

    public func step(_ input: UnsafeRawBufferPointer) throws -> (consumed: Int, produced: Int, finished: Bool) {
        state.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        state.pointee.avail_in = UInt32(input.count)
        state.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = UInt32(output.count)
        let code = isal_inflate(state)
        if code < 0 || code == ISAL_NEED_DICT { throw DeflateError.corrupt(Self.reason(code)) }
        return (
            input.count - Int(state.pointee.avail_in), output.count - Int(state.pointee.avail_out),
            bam_isal_inflate_finished(state) != 0
        )
    }

    private static func reason(_ code: Int32) -> String {
        switch code {
        case ISAL_INVALID_BLOCK: return "invalid deflate block"
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: return "back-reference beyond the start of the data"
        case ISAL_INVALID_WRAPPER: return "invalid zlib header"
        case ISAL_UNSUPPORTED_METHOD: return "unsupported zlib method"
        case ISAL_INCORRECT_CHECKSUM: return "Adler-32 checksum mismatch"
        case ISAL_NEED_DICT: return "needs a preset dictionary"
        default: return "isa-l code \(code)"
        }
    }
}
