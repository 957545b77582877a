import Deflate

/// Reads an unencrypted OpenPGP message (RFC 4880), pushed in pieces, and
/// hands on the data of its literal packet: what `gpg --unwrap` leaves of
/// an encrypted message. Compressed packets are decompressed here, ZIP
/// and ZLIB with ISA-L, BZip2 with libbzip2 (every algorithm RFC 4880
/// defines); one-pass signature, signature and marker packets are skipped.
/// gpg then only decrypts; it neither inflates the data with zlib nor
/// sends it through gpgme in its larger, decompressed form. Any other
/// algorithm, and any decoder failure, is damage: never an empty result.
final class LiteralDataExtractor {
    enum Failure: Error, CustomStringConvertible {
        case malformed(String)

        var description: String {
            switch self {
            case .malformed(let reason): return "malformed OpenPGP message: \(reason)"
            }
        }
    }

    private enum Framing {
        case header  // reading a packet's tag and length
        case body(remaining: Int, partial: Bool)
        case nextChunkLength  // after a partial body chunk
        case toEnd  // old format, indeterminate length
    }

    private enum Content {
        case literal(offset: Int, dataStart: Int?)
        case compressed(Decoder?)
        case skipped
    }

    /// A compressed packet's decoder and the message inside it.
    private final class Decoder {
        let decompressor: StreamDecompressor?  // nil: algorithm 0, stored
        let inner: LiteralDataExtractor
        init(decompressor: StreamDecompressor?, inner: LiteralDataExtractor) { self.decompressor = decompressor; self.inner = inner }
    }

    private static let maximumNesting = 4
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    private let depth: Int
    private var framing = Framing.header
    private var content = Content.skipped
    private var header: [UInt8] = []
    private var packets = 0
    /// True once a literal packet has begun (here or nested).
    private(set) var sawLiteral = false

    init(depth: Int = 0, emit: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.depth = depth
        self.emit = emit
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        var i = 0
        while i < bytes.count {
            switch framing {
            case .header:
                header.append(bytes[i]); i += 1
                guard let (tag, length) = try Self.packetHeader(header) else { continue }
                header.removeAll(keepingCapacity: true)
                try begin(tag: tag)
                try frame(length)
            case .nextChunkLength:
                header.append(bytes[i]); i += 1
                guard let length = try Self.newFormatLength(header[...]) else { continue }
                header.removeAll(keepingCapacity: true)
                try frame(length)
            case .body(let remaining, let partial):
                let take = min(remaining, bytes.count - i)
                try deliver(UnsafeRawBufferPointer(rebasing: bytes[i..<i + take]))
                i += take
                if take < remaining {
                    framing = .body(remaining: remaining - take, partial: partial)
                } else if partial {
                    framing = .nextChunkLength
                } else {
                    try end()
                }
            case .toEnd:
                try deliver(UnsafeRawBufferPointer(rebasing: bytes[i...]))
                i = bytes.count
            }
        }
    }

    /// Called at the end of the message: everything must be complete.
    func finish() throws {
        switch framing {
        case .header where header.isEmpty: break
        case .toEnd: try end()
        default: throw Failure.malformed("it ends inside a packet")
        }
        if depth == 0 && !sawLiteral { throw Failure.malformed("it holds no literal data") }
        if depth > 0 && packets == 0 { throw Failure.malformed("a compressed packet holds no packets") }
    }

    private enum Length { case definite(Int), partial(Int), indeterminate }

    private func frame(_ length: Length) throws {
        switch length {
        case .definite(let n):
            framing = .body(remaining: n, partial: false)
            if n == 0 { try end() }
        case .partial(let n): framing = .body(remaining: n, partial: true)
        case .indeterminate: framing = .toEnd
        }
    }

    private func begin(tag: UInt8) throws {
        packets += 1
        switch tag {
        case 11:
            sawLiteral = true
            content = .literal(offset: 0, dataStart: nil)
        case 8:
            guard depth < Self.maximumNesting else { throw Failure.malformed("compressed packets nested too deep") }
            content = .compressed(nil)
        case 2, 4, 10: content = .skipped  // signature, one-pass signature, marker
        default: throw Failure.malformed("unexpected packet (tag \(tag))")
        }
    }

    private func end() throws {
        if case .literal(let offset, let dataStart) = content, offset < dataStart ?? 2 {
            throw Failure.malformed("a literal packet shorter than its own header")
        }
        if case .compressed(let decoder) = content {
            guard let decoder else { throw Failure.malformed("a compressed packet without an algorithm") }
            if let decompressor = decoder.decompressor, !decompressor.isFinished { throw Failure.malformed("the compressed data ends early") }
            try decoder.inner.finish()
            if decoder.inner.sawLiteral { sawLiteral = true }
        }
        content = .skipped
        framing = .header
    }

    private func deliver(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        switch content {
        case .skipped: break
        case .literal(let offset, var dataStart):
            // Body: format (1), name length (1), name, date (4), then data.
            if dataStart == nil && offset + bytes.count > 1 {
                dataStart = 2 + Int(bytes[1 - offset]) + 4
            }
            if let start = dataStart, offset + bytes.count > start {
                let skip = max(0, start - offset)
                try emit(UnsafeRawBufferPointer(rebasing: bytes[skip...]))
            }
            content = .literal(offset: offset + bytes.count, dataStart: dataStart)
        case .compressed(nil):
            let algorithm = bytes[0]
            let inner = LiteralDataExtractor(depth: depth + 1, emit: emit)
            let decompressor: StreamDecompressor?
            switch algorithm {
            case 0: decompressor = nil
            case 1: decompressor = Inflater(format: .raw)
            case 2: decompressor = Inflater(format: .zlib)
            case 3:
                do { decompressor = try BZip2Decompressor() } catch { throw Failure.malformed("\(error)") }
            default: throw Failure.malformed("unknown compression algorithm \(algorithm)")
            }
            content = .compressed(Decoder(decompressor: decompressor, inner: inner))
            try deliver(UnsafeRawBufferPointer(rebasing: bytes[1...]))
        case .compressed(let decoder?):
            if let decompressor = decoder.decompressor {
                do {
                    try decompressor.decompress(bytes) { try decoder.inner.feed($0) }
                } catch let error as DeflateError {
                    throw Failure.malformed("\(error)")
                }
            } else {
                try decoder.inner.feed(bytes)
            }
            if decoder.inner.sawLiteral { sawLiteral = true }
        }
    }

    /// The tag and length of a packet header, or nil if more bytes are needed.
    private static func packetHeader(_ bytes: [UInt8]) throws -> (UInt8, Length)? {
        let first = bytes[0]
        guard first & 0x80 != 0 else { throw Failure.malformed("a packet header without its high bit (0x\(String(first, radix: 16)))") }
        if first & 0x40 != 0 {
            guard bytes.count > 1, let length = try newFormatLength(bytes[1...]) else { return nil }
            return (first & 0x3F, length)
        }
        let tag = (first >> 2) & 0x0F
        let octets: Int
        switch first & 0x03 {
        case 0: octets = 1
        case 1: octets = 2
        case 2: octets = 4
        default: return (tag, .indeterminate)
        }
        guard bytes.count == 1 + octets else { return nil }
        return (tag, .definite(bytes[1...].reduce(0) { $0 << 8 | Int($1) }))
    }

    /// A new-format length (RFC 4880 4.2.2), or nil if more bytes are needed.
    private static func newFormatLength(_ bytes: ArraySlice<UInt8>) throws -> Length? {
        let first = Int(bytes[bytes.startIndex])
        switch first {
        case ..<192: return .definite(first)
        case ..<224:
            guard bytes.count == 2 else { return nil }
            return .definite((first - 192) << 8 + Int(bytes[bytes.startIndex + 1]) + 192)
        case 255:
            guard bytes.count == 5 else { return nil }
            return .definite(bytes.dropFirst().reduce(0) { $0 << 8 | Int($1) })
        default: return .partial(1 << (first & 0x1F))
        }
    }
}
