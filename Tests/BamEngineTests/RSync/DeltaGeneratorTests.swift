import Testing
import RSync
#if canImport(Glibc)
import Glibc
#endif

@Suite("librsync delta generator")
struct DeltaGeneratorTests {
    /// A signature header (librsync's MD4 signature magic) with nothing
    /// after it, then bytes that are no signature: what a damaged signature
    /// archive hands over. Found by the signature fuzz target.
    static let damaged: [[UInt8]] = [[0x72, 0x73, 0x01, 0x34], [1, 2, 3, 4]]

    /// That nothing stays allocated is checked by the fuzzer's leak
    /// detection: the first input above is in Fuzz/Corpus/signature, which
    /// every fuzz pass (CI's included) runs.
    @Test("a damaged signature is an error")
    func damagedSignature() {
        for bytes in Self.damaged {
            #expect(throws: (any Error).self) { _ = try DeltaGenerator(signature: bytes) }
        }
    }
}
