/// Stored (uncompressed) DEFLATE blocks written by hand, for a stream that
/// is byte-aligned where they go (after a full or sync flush): the
/// compressors put data that would not shrink into their streams this way.
enum StoredBlocks {
    /// RFC 1951 3.2.4: BFINAL 0 and BTYPE 00 (the rest of the byte is
    /// padding), LEN, NLEN, then at most 65,535 bytes, as often as needed.
    static func emit(_ input: UnsafeRawBufferPointer, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count {
            let count = min(input.count - offset, Int(UInt16.max))
            let length = UInt16(count)
            let header: [UInt8] = [0x00, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            try header.withUnsafeBytes { try emit($0) }
            try emit(UnsafeRawBufferPointer(rebasing: input[offset..<offset + count]))
            offset += count
        }
    }
}
