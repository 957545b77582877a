import Deflate
import Testing

@Suite("parallel zlib compressor")
struct ParallelZlibCompressorTests {
    /// Word-like text that compresses as real text does.
    static func text(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        let words = ["the", "backup", "volume", "server", "of", "and", "restore", "chain", "signature", "delta"]
        var out: [UInt8] = []
        out.reserveCapacity(count + 16)
        while out.count < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            out.append(contentsOf: words[Int(state % UInt64(words.count))].utf8)
            out.append(state % 11 == 0 ? 0x0A : 0x20)
        }
        return Array(out.prefix(count))
    }

    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// One step of a stream being written: bytes to compress or to store.
    enum Piece {
        case compress([UInt8])
        case store([UInt8])
    }

    static func deflate(_ pieces: [Piece], workers: Int, chunkSize: Int = 4096, level: Int = 5) throws -> [UInt8] {
        let compressor = try ParallelZlibCompressor(level: level, workers: workers, chunkSize: chunkSize)
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .compress(let bytes): try bytes.withUnsafeBytes { try compressor.compress($0, finish: false) { out.append(contentsOf: $0) } }
            case .store(let bytes): try bytes.withUnsafeBytes { try compressor.store($0) { out.append(contentsOf: $0) } }
            }
        }
        try compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { out.append(contentsOf: $0) }
        return out
    }

    static func inflate(_ stream: [UInt8]) throws -> [UInt8] {
        let inflater = Inflater(format: .raw)
        var out: [UInt8] = []
        try stream.withUnsafeBytes { try inflater.decompress($0) { out.append(contentsOf: $0) } }
        #expect(inflater.isFinished, "the stream must end with a final block")
        return out
    }

    static func plain(_ pieces: [Piece]) -> [UInt8] {
        pieces.flatMap { piece -> [UInt8] in
            switch piece {
            case .compress(let bytes), .store(let bytes): return bytes
            }
        }
    }

    /// Pieces of every size around the chunk size, compressed and stored in
    /// turn, with empty ones between: one stream that inflates to them all.
    @Test("compressed and stored pieces of any size inflate back in order", arguments: [1, 2, 3])
    func roundTrip(workers: Int) throws {
        var pieces: [Piece] = [.compress([]), .store([])]
        for (n, size) in [1, 4095, 4096, 4097, 70_000, 0, 12_345, 200_000, 65_535, 65_536, 3].enumerated() {
            let seed = UInt64(n + 1)
            pieces.append(n % 3 == 2 ? .store(Self.random(count: size, seed: seed)) : .compress(Self.text(count: size, seed: seed)))
        }
        let stream = try Self.deflate(pieces, workers: workers)
        #expect(try Self.inflate(stream) == Self.plain(pieces))
    }

    @Test("a stream of only stored data, or of nothing, still ends")
    func storedOnlyAndEmpty() throws {
        let stored: [Piece] = [.store(Self.random(count: 100_000, seed: 9))]
        #expect(try Self.inflate(Self.deflate(stored, workers: 2)) == Self.plain(stored))
        #expect(try Self.inflate(Self.deflate([], workers: 2)) == [])
    }

    /// The workers split the chunks, but the stream is the same bytes
    /// whoever compressed which: the pieces are joined in order.
    @Test("the output does not depend on how many workers made it")
    func deterministic() throws {
        let pieces: [Piece] = (0..<40).map { n in
            n % 5 == 4 ? .store(Self.random(count: 9000, seed: UInt64(n))) : .compress(Self.text(count: 9000 + n * 100, seed: UInt64(n)))
        }
        let one = try Self.deflate(pieces, workers: 1)
        #expect(try Self.deflate(pieces, workers: 2) == one)
        #expect(try Self.deflate(pieces, workers: 5) == one)
    }

    /// A 16 KiB random block repeated: each chunk is all matches into the
    /// block before it, which only the dictionary (the input before the
    /// chunk) lets the chunk see. Without it each 32 KiB chunk would cost
    /// at least 16 KiB.
    @Test("matches reach back across the cut between chunks")
    func dictionaryAcrossChunks() throws {
        let block = Self.random(count: 16 << 10, seed: 5)
        let data = Array((0..<64).map { _ in block }.joined())
        let stream = try Self.deflate([.compress(data)], workers: 2, chunkSize: 32 << 10)
        #expect(try Self.inflate(stream) == data)
        #expect(stream.count < (16 << 10) + 8192, "\(stream.count) bytes for 16 KiB of entropy")
    }

    @Test("levels outside zlib's 1...9 are refused")
    func badLevel() {
        #expect(throws: DeflateError.badLevel(0)) { _ = try ParallelZlibCompressor(level: 0) }
        #expect(throws: DeflateError.badLevel(10)) { _ = try ParallelZlibCompressor(level: 10) }
    }
}
