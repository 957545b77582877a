internal import CIsal

/// A raw DEFLATE stream (RFC 1951) made with Intel's ISA-L igzip: at
/// levels 1 and 2 about four times faster than zlib's level 1 on text,
/// compressing a little better (`VolumeCompression.fast`). Data that would
/// not shrink goes in as stored blocks between the compressed ones
/// (`store`). Not thread-safe: one compressor per stream.
public final class IgzipCompressor: DeflateStream {
    private let stream: UnsafeMutablePointer<isal_zstream>
    private let levelBuffer: UnsafeMutableRawBufferPointer?
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false
    /// Input went to igzip since the last flush: a stored block must wait
    /// until its compressed block is closed and byte-aligned.
    private var compressedSinceFlush = false

    /// `level` is igzip's 0...3 (0 fastest; 2 is the best trade on text).
    public init(level: Int, outputBufferSize: Int = 256 << 10) throws {
        guard (0...3).contains(level) else { throw DeflateError.badLevel(level) }
        stream = .allocate(capacity: 1)
        isal_deflate_init(stream)
        let size = Int(bam_isal_level_buffer_size(UInt32(level)))
        levelBuffer = size > 0 ? .allocate(byteCount: size, alignment: 64) : nil
        stream.pointee.level = UInt32(level)
        stream.pointee.level_buf = levelBuffer?.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.level_buf_size = UInt32(size)
        stream.pointee.gzip_flag = UInt16(IGZIP_DEFLATE)
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
    }

    deinit {
        stream.deallocate()
        levelBuffer?.deallocate()
        output.deallocate()
    }

    public func compress(
        _ input: UnsafeRawBufferPointer, finish: Bool = false,
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(!finished, "IgzipCompressor used after the end of its stream")
        compressedSinceFlush = compressedSinceFlush || input.count > 0
        try deflate(input, finish: finish, emit: emit)
        if finish { finished = true }
    }

    /// Written by hand, in stored blocks: the compressed block before them
    /// is closed first with a full flush, which also keeps the blocks
    /// after them from referring back across data igzip did not see.
    public func store(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "IgzipCompressor used after the end of its stream")
        if compressedSinceFlush {
            stream.pointee.flush = UInt16(FULL_FLUSH)
            try deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: false, emit: emit)
            stream.pointee.flush = UInt16(NO_FLUSH)
            compressedSinceFlush = false
        }
        try StoredBlocks.emit(input, to: emit)
    }

    private func deflate(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        // isa-l takes a 32-bit count; feed larger inputs in slices.
        var offset = 0
        repeat {
            let count = min(input.count - offset, 1 << 30)
            let last = finish && offset + count == input.count
            stream.pointee.next_in =
                count > 0 ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)) : nil
            stream.pointee.avail_in = UInt32(count)
            stream.pointee.end_of_stream = last ? 1 : 0
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(output.count)
                let code = isal_deflate(stream)
                guard code == COMP_OK else { throw DeflateError.compression(code: code) }
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
                || (last && bam_isal_deflate_finished(stream) == 0)
            offset += count
        } while offset < input.count
    }
}
