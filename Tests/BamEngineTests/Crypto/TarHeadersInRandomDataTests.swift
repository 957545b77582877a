import Deflate
import Testing

/// A large file of random or already compressed bytes is split into 64 KiB
/// blocks, each behind a 512-byte tar header that is mostly zeros:
/// duplicity's zlib shrinks those headers; bam stores the random chunks
/// but must still compress the headers, or an archive of .deb files comes
/// out larger than duplicity's.
@Suite("tar headers between random blocks")
struct TarHeadersInRandomDataTests {
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// 64 KiB of random bytes, then a header-like block: a name, then zeros.
    static func blocks(_ count: Int) -> [UInt8] {
        var data: [UInt8] = []
        for n in 0..<count {
            var header = Array("multivol_snapshot/var/cache/archive.deb/\(n)".utf8)
            header += [UInt8](repeating: 0, count: 512 - header.count)
            data += header + random(count: 64 << 10, seed: UInt64(n + 1))
        }
        return data
    }

    @Test("spans: the few-byte blocks are compressed, the random ones stored, all covered in order")
    func spans() {
        let data = Self.random(count: 3000, seed: 7) + [UInt8](repeating: 0, count: 1024) + Self.random(count: 700, seed: 8)
        let spans = data.withUnsafeBytes { CompressibilityEstimate.spans($0) }
        #expect(spans.first?.range.lowerBound == 0 && spans.last?.range.upperBound == data.count)
        for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound && a.compress != b.compress) }
        // 3000 random bytes end inside the sixth block; the zeros fill
        // blocks 7 and 8 (bytes 3072..<4096).
        #expect(spans.contains { $0.compress && $0.range == 3072..<4096 }, "\(spans)")
        #expect(spans.filter(\.compress).allSatisfy { $0.range.count % 512 == 0 })
        let random = Self.random(count: 64 << 10, seed: 9)
        #expect(random.withUnsafeBytes { CompressibilityEstimate.spans($0) }.allSatisfy { !$0.compress })
        #expect([UInt8]().withUnsafeBytes { CompressibilityEstimate.spans($0) }.isEmpty)
    }

    @Test("the headers shrink, the random blocks are stored, the message reads back", arguments: VolumeCompression.allCases)
    func message(compression: VolumeCompression) throws {
        let data = Self.blocks(32)
        let message = try OpenPGPCompressionTests.compressedMessage(data, compression: compression)
        #expect(try OpenPGPCompressionTests.extract(message, step: 1 << 16) == data)
        // Stored, the 32 headers would cost 16 KiB; compressed, a few bytes each.
        #expect(message.count < data.count - 8 * 1024, "\(message.count) bytes for \(data.count)")
    }
}
