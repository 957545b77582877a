internal import CZlib

/// A raw DEFLATE stream (RFC 1951) made with zlib, at the level gpg uses
/// (`VolumeCompression.best`). Stored data goes through zlib at level 0,
/// which keeps its window true to what the inflater will have seen.
/// Not thread-safe: one compressor per stream.
public final class ZlibCompressor: DeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private let level: Int32
    private var currentLevel: Int32
    private var finished = false

    public init(level: Int, outputBufferSize: Int = 256 << 10) throws {
        guard (1...9).contains(level) else { throw DeflateError.badLevel(level) }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = bam_deflate_init_raw(stream, Int32(level))
        guard code == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DeflateError.compression(code: code)
        }
        self.level = Int32(level)
        currentLevel = Int32(level)
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try setLevel(level, emit: emit)
        try run(input, flush: finish ? Z_FINISH : Z_NO_FLUSH, emit: emit)
        if finish { finished = true }
    }

    public func store(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try setLevel(0, emit: emit)
        try run(input, flush: Z_NO_FLUSH, emit: emit)
    }

    /// deflateParams ends the current block; it asks for more room until
    /// the block is out.
    private func setLevel(_ wanted: Int32, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ZlibCompressor used after the end of its stream")
        guard wanted != currentLevel else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let code = deflateParams(stream, wanted, Z_DEFAULT_STRATEGY)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if code == Z_OK { break }
            guard code == Z_BUF_ERROR, produced > 0 else { throw DeflateError.compression(code: code) }
        }
        currentLevel = wanted
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        // zlib takes a 32-bit count; feed larger inputs in slices.
        var offset = 0
        repeat {
            let count = min(input.count - offset, 1 << 30)
            let last = offset + count == input.count
            stream.pointee.next_in =
                count > 0 ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self)) : nil
            stream.pointee.avail_in = UInt32(count)
            let mode = last ? flush : Z_NO_FLUSH
            while true {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(output.count)
                let code = CZlib.deflate(stream, mode)
                guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw DeflateError.compression(code: code) }
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
                if code == Z_STREAM_END { break }
                if stream.pointee.avail_out > 0 && stream.pointee.avail_in == 0 && mode != Z_FINISH { break }
            }
            offset += count
        } while offset < input.count
    }
}
