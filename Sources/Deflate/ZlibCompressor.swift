internal import CIsal

/// Streaming DEFLATE compression (RFC 1951 raw, or in the zlib RFC 1950
/// wrapper) with Intel's ISA-L igzip: at levels 1 and 2 it is about four
/// times faster than zlib's level 1 on text and compresses a little
/// better, and any inflater reads it. A raw stream can also carry data as
/// it is (`store`), in stored blocks between compressed ones, so that data
/// that would not shrink costs no compression time. Not thread-safe: one
/// compressor per stream.
public final class ZlibCompressor {
    public enum Format { case raw, zlib }

    private let stream: UnsafeMutablePointer<isal_zstream>
    private let levelBuffer: UnsafeMutableRawBufferPointer?
    private let output: UnsafeMutableRawBufferPointer
    private let format: Format
    private var finished = false
    /// Input went to igzip since the last flush: a stored block must wait
    /// until its compressed block is closed and byte-aligned.
    private var compressedSinceFlush = false

    /// `level` is igzip's 0...3 (0 fastest; 2 is the best trade on text).
    public init(level: Int, format: Format = .zlib, outputBufferSize: Int = 256 << 10) throws {
        guard (0...3).contains(level) else { throw DeflateError.badLevel(level) }
        stream = .allocate(capacity: 1)
        isal_deflate_init(stream)
        let size = Int(bam_isal_level_buffer_size(UInt32(level)))
        levelBuffer = size > 0 ? .allocate(byteCount: size, alignment: 64) : nil
        stream.pointee.level = UInt32(level)
        stream.pointee.level_buf = levelBuffer?.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.level_buf_size = UInt32(size)
        stream.pointee.gzip_flag = UInt16(format == .zlib ? IGZIP_ZLIB : IGZIP_DEFLATE)
        self.format = format
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
    }

    deinit {
        stream.deallocate()
        levelBuffer?.deallocate()
        output.deallocate()
    }

    /// Compresses `input`, handing compressed bytes to `emit` as they are
    /// made. The call with `finish` true ends the stream (zlib trailer
    /// included); no call may follow it.
    public func compress(
        _ input: UnsafeRawBufferPointer, finish: Bool = false,
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(!finished, "ZlibCompressor used after the end of its stream")
        compressedSinceFlush = compressedSinceFlush || input.count > 0
        try deflate(input, finish: finish, emit: emit)
        if finish { finished = true }
    }

    /// Puts `input` into the stream as it is, in stored blocks (raw
    /// streams only: a zlib trailer's checksum covers only what igzip
    /// saw). The compressed block before it is closed first with a full
    /// flush, which also keeps the blocks after it from referring back
    /// across data igzip did not see.
    public func store(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ZlibCompressor used after the end of its stream")
        precondition(format == .raw, "stored blocks are only for raw streams")
        if compressedSinceFlush {
            stream.pointee.flush = UInt16(FULL_FLUSH)
            try deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: false, emit: emit)
            stream.pointee.flush = UInt16(NO_FLUSH)
            compressedSinceFlush = false
        }
        var offset = 0
        while offset < input.count {
            // RFC 1951 3.2.4: BFINAL 0 and BTYPE 00 (the rest of the byte
            // is padding, the stream being byte-aligned here), LEN, NLEN.
            let count = min(input.count - offset, Int(UInt16.max))
            let length = UInt16(count)
            let header: [UInt8] = [0x00, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            try header.withUnsafeBytes { try emit($0) }
            try emit(UnsafeRawBufferPointer(rebasing: input[offset..<offset + count]))
            offset += count
        }
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
