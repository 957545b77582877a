import RSync
import Testing

@Suite("signature block length")
struct SignatureBlockLengthTests {
    @Test("up to 2 GiB it is duplicity's rule")
    func duplicityRule() {
        #expect(SignatureGenerator.blockLength(forFileSize: 0) == 512)
        #expect(SignatureGenerator.blockLength(forFileSize: 1_023_999) == 512)
        #expect(SignatureGenerator.blockLength(forFileSize: 3_000_000) == 1024)
        #expect(SignatureGenerator.blockLength(forFileSize: 100_000_000) == 2048)
        #expect(SignatureGenerator.blockLength(forFileSize: 2 << 30) == 2048)
    }

    /// A 20 GB file at 2048-byte blocks would have ten million of them, and
    /// the delta against it would need a librsync index of hundreds of MB.
    @Test("huge files keep at most a million blocks", arguments: [Int64(2 << 30) + 1, 5_000_000_000, 20 << 30, 1 << 50, Int64.max])
    func boundedBlockCount(size: Int64) {
        let length = Int64(SignatureGenerator.blockLength(forFileSize: size))
        #expect(length % 512 == 0)
        #expect(length >= 2048)
        if size < 1 << 50 {
            #expect((size + length - 1) / length <= SignatureGenerator.maximumBlockCount)
        }
    }
}
