import Crypto
import _CryptoExtras

/// The scrypt cost of a v2 key packet, stored in the packet so a reader
/// derives the same key and the default can grow later without breaking
/// old packets.
public struct ScryptParameters: Equatable, Sendable {
    /// N = 2^log2N (scrypt needs a power of two).
    public let log2N: UInt8
    /// Block size r.
    public let r: UInt8
    /// Parallelism p.
    public let p: UInt8

    public init(log2N: UInt8, r: UInt8, p: UInt8) {
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// N = 2^17, r = 8, p = 1 (128 MiB). Measured on the 2-core build
    /// machine (AMD EPYC, release build): 0.45 s of CPU per derivation,
    /// 0.75 to 1.0 s wall while parallel builds loaded it; 2^16 took 0.21 s
    /// of CPU, below the 0.25 s floor, 2^18 0.92 s, too near the 1 s ceiling.
    /// (Debug builds compile BoringSSL unoptimised and are ~8x slower.)
    public static let standard = ScryptParameters(log2N: 17, r: 8, p: 1)

    /// The most a reader accepts: the parameters come from a file, and a
    /// hostile one must not make bam allocate gigabytes or work for
    /// minutes. bam writes `standard` (2^17, 8, 1); a reader takes N up to
    /// 2^20 (8 times the work and 1 GiB at r = 8, room to raise the
    /// default once), r up to 8 and p = 1, as bam has always written.
    static let maximumLog2N: UInt8 = 20
    static let maximumR: UInt8 = 8
    static let maximumP: UInt8 = 1

    public var n: Int { 1 << Int(log2N) }

    /// Bytes scrypt's main buffer takes: 128 · r · N.
    public var memory: Int { 128 * Int(r) * n }

    /// Why a reader refuses these values (naming the parameter), or nil
    /// when it accepts them.
    var refusal: String? {
        if log2N < 1 || log2N > Self.maximumLog2N {
            return "scrypt N=2^\(log2N) is out of the accepted range (2^1 to 2^\(Self.maximumLog2N))"
        }
        if r < 1 || r > Self.maximumR { return "scrypt r=\(r) is out of the accepted range (1 to \(Self.maximumR))" }
        if p < 1 || p > Self.maximumP { return "scrypt p=\(p) is out of the accepted range (1 to \(Self.maximumP))" }
        return nil
    }

    /// A 256-bit key from `passphrase` and `salt`.
    func deriveKey(passphrase: [UInt8], salt: [UInt8]) throws -> SymmetricKey {
        do {
            return try KDF.Scrypt.deriveKey(
                from: passphrase, salt: salt, outputByteCount: 32,
                rounds: n, blockSize: Int(r), parallelism: Int(p),
                maxMemory: memory * Int(p) + (1 << 20))
        } catch {
            throw BamError.external("scrypt key derivation failed (N=2^\(log2N), r=\(r), p=\(p)): \(error)")
        }
    }
}
