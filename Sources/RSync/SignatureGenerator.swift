internal import CRsync

/// Builds a librsync signature (MD4 magic, strong sums of 8 bytes) the way
/// duplicity does, from data fed in pieces.
public final class SignatureGenerator {
    private let job: RSyncJob
    public private(set) var signature: [UInt8] = []

    /// Most blocks a signature has: past 2 GiB duplicity's rule would give
    /// a 20 GB file ten million blocks, and the delta against it a librsync
    /// index of some 300 MB. Longer blocks keep both under ~30 MB at any
    /// size; the block length travels in the signature's header, so any
    /// librsync (duplicity's) reads it.
    public static let maximumBlockCount: Int64 = 1 << 20

    /// duplicity's block-length rule: 512 bytes under 1,024,000 bytes, else
    /// about 2000 blocks rounded to 512, at most 2048; then as long as it
    /// takes (a multiple of 512) to stay within `maximumBlockCount` blocks.
    public static func blockLength(forFileSize size: Int64) -> Int {
        if size < 1_024_000 { return 512 }
        let duplicity = min(Int(size / 1_024_000) * 512, 2048)
        let perBlock = (size - 1) / maximumBlockCount + 1
        let bounded = Int(min((perBlock + 511) / 512 * 512, Int64(Int32.max) / 512 * 512))
        return max(duplicity, bounded)
    }

    public init(fileSize: Int64) throws {
        let magic = rs_magic_number(rawValue: 0x7273_0136)
        job = try RSyncJob(rs_sig_begin(SignatureGenerator.blockLength(forFileSize: fileSize), 8, magic), what: "signature")
    }

    public func update(_ data: UnsafeRawBufferPointer) throws {
        try job.feed(data, eof: false) { signature.append(contentsOf: $0) }
    }

    public func finish() throws -> [UInt8] {
        try job.feed(UnsafeRawBufferPointer(start: nil, count: 0), eof: true) { signature.append(contentsOf: $0) }
        return signature
    }
}
