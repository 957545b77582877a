import Deflate
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor to its end and gives back an OpenPGP message
/// (RFC 4880) holding it: a compressed data packet (ZIP, raw deflate)
/// around one binary literal data packet. gpg, told `--no-literal`,
/// encrypts this as it is, so bam compresses with ISA-L rather than gpg
/// with zlib; the result is the packet structure gpg writes itself, and
/// any OpenPGP reader (duplicity's gpg) decrypts it to the plain bytes.
///
/// Whether to compress is decided for each 64 KiB chunk
/// (`CompressibilityEstimate`): chunks of random or already-compressed
/// data go into the deflate stream as stored blocks, costing no
/// compression time, while the text and binaries around them are still
/// compressed, and so are the 512-byte blocks of few distinct bytes inside
/// a random chunk (the tar header before each 64 KiB block of a large
/// file: 0.8% of an archive of .deb files, which duplicity's zlib saves). (ZIP rather than ZLIB because a zlib trailer's checksum
/// would have to cover the stored chunks igzip never saw.)
///
/// The literal packet's length is not known in advance (the input may be
/// a pipe), so its body goes out as 64 KiB partial body lengths and a last
/// definite length, as gpg does for a stream. Not thread-safe.
final class CompressedMessageReader {
    private static let chunk = 1 << 16
    private static let readSize = 1 << 18
    private let fd: Int32
    private let compressor: DeflateStream
    /// Literal packet body waiting to be framed: at most one chunk plus one read.
    private let body: UnsafeMutableRawBufferPointer
    private var bodyCount = 0
    /// Compressed message bytes not yet handed out.
    private var pending: [UInt8]
    private var pendingStart = 0
    private var inputEnded = false

    init(fd: Int32, compression: VolumeCompression, timestamp: UInt32 = UInt32(truncatingIfNeeded: time(nil))) throws {
        self.fd = fd
        compressor = try compression.makeStream()
        body = .allocate(byteCount: Self.chunk + Self.readSize, alignment: 16)
        // Old-format packet header, tag 8 (compressed data), indeterminate
        // length (it runs to the end of the message); algorithm 1, ZIP.
        pending = [0xA3, 0x01]
        pending.reserveCapacity(Self.readSize)
        // New-format tag 11 (literal data); its body starts with format 'b'
        // (binary), an empty file name and the time, as gpg writes for stdin.
        try compress([0xCB])
        let prefix: [UInt8] = [0x62, 0x00, UInt8(timestamp >> 24), UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF)]
        prefix.withUnsafeBytes { body.copyMemory(from: $0) }
        bodyCount = prefix.count
    }

    deinit { body.deallocate() }

    /// Copies up to `buffer.count` bytes of the message into `buffer`;
    /// returns 0 once the whole message has been read.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pendingStart == pending.count {
            if inputEnded { return 0 }
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
            try refill()
        }
        let count = min(buffer.count, pending.count - pendingStart)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pendingStart, byteCount: count) }
        pendingStart += count
        return count
    }

    /// Reads the next piece of input and compresses what can be framed.
    private func refill() throws {
        var n: Int
        repeat { n = Glibc.read(fd, body.baseAddress! + bodyCount, body.count - bodyCount) } while n < 0 && errno == EINTR
        if n < 0 { throw GPGError.failed("reading the input: \(String(cString: strerror(errno)))") }
        if n == 0 {
            // The last length must be definite; it is never zero-length
            // after a partial one, as a partial is only sent with more behind it.
            try put(Self.definiteLength(bodyCount), UnsafeRawBufferPointer(rebasing: body[0..<bodyCount]))
            try compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
            bodyCount = 0
            inputEnded = true
            return
        }
        bodyCount += n
        var sent = 0
        while bodyCount - sent > Self.chunk {
            // A partial body length of 2^16, then the chunk.
            try put([0xE0 | 16], UnsafeRawBufferPointer(rebasing: body[sent..<sent + Self.chunk]))
            sent += Self.chunk
        }
        if sent > 0 {
            bodyCount -= sent
            body.baseAddress!.copyMemory(from: body.baseAddress! + sent, byteCount: bodyCount)
        }
    }

    /// One framed piece of the literal body: compressed, or stored as it
    /// is when compressing would not pay.
    private func put(_ length: [UInt8], _ data: UnsafeRawBufferPointer) throws {
        if CompressibilityEstimate.worthCompressing(data) {
            try compress(length)
            try compress(data)
        } else {
            try length.withUnsafeBytes { try compressor.store($0) { pending.append(contentsOf: $0) } }
            // The tar headers and padding between random blocks still
            // shrink to a tenth; the random bytes are stored.
            for span in CompressibilityEstimate.spans(data) {
                let part = UnsafeRawBufferPointer(rebasing: data[span.range])
                if span.compress { try compress(part) } else { try compressor.store(part) { pending.append(contentsOf: $0) } }
            }
        }
    }

    private func compress(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try compress($0) }
    }

    private func compress(_ bytes: UnsafeRawBufferPointer, finish: Bool = false) throws {
        try compressor.compress(bytes, finish: finish) { pending.append(contentsOf: $0) }
    }

    /// RFC 4880 4.2.2: one, two or five octets.
    static func definiteLength(_ length: Int) -> [UInt8] {
        switch length {
        case ..<192: return [UInt8(length)]
        case ..<8384: return [UInt8((length - 192) >> 8 + 192), UInt8((length - 192) & 0xFF)]
        default: return [0xFF, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        }
    }
}
