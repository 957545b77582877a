import Foundation

/// Tells compressible data from random or already-compressed data by the
/// byte entropy of a sample of each chunk, and keeps the tally of one
/// volume: gpg compresses a volume only when most of its data would
/// shrink. zlib on random data spends CPU time to save nothing.
///
/// It also says when to cut a volume early: once data of the other kind
/// has gone on for `switchRun` bytes in a volume of at least
/// `minimumVolume`, so that a volume is mostly of one kind and the
/// decision fits nearly all of it (a photo directory next to web pages, a
/// disk image that is half zeros).
struct CompressibilitySampler {
    enum Kind { case compressible, random }

    private(set) var compressibleBytes: Int64 = 0
    private(set) var randomBytes: Int64 = 0
    /// Bytes of the kind the volume is not, in a row, up to now.
    private var otherKindRun: Int64 = 0

    static let sampleSize = 1024
    /// Chunks smaller than this are not classified (too few bytes to tell).
    static let minimumChunk = 256
    static let switchRun: Int64 = 2 << 20
    static let minimumVolume: Int64 = 4 << 20

    /// The kind of one chunk, from the entropy of up to `sampleSize` bytes
    /// from its middle; nil when the chunk is too small to tell.
    static func kind(of data: UnsafeRawBufferPointer) -> Kind? {
        guard data.count >= minimumChunk else { return nil }
        let n = min(sampleSize, data.count)
        let offset = (data.count - n) / 2
        var counts = [Int32](repeating: 0, count: 256)
        for i in offset..<(offset + n) { counts[Int(data[i])] += 1 }
        var h = 0.0
        let total = Double(n)
        for c in counts where c > 0 {
            let p = Double(c) / total
            h -= p * log2(p)
        }
        // Random bytes reach about 7.8 bits a byte in a 1 KiB sample (a
        // small sample biases entropy low); text and code stay under 6.
        let threshold = n >= sampleSize ? 7.2 : log2(total) - 1.0
        return h < threshold ? .compressible : .random
    }

    /// The kind most of the volume's data is so far.
    var majority: Kind { randomBytes > compressibleBytes ? .random : .compressible }

    /// Whether the volume, `volumeBytes` long, should be closed before a
    /// chunk of `kind` and `count` bytes is added.
    func shouldCutBefore(_ kind: Kind?, count: Int, volumeBytes: Int64) -> Bool {
        guard let kind, kind != majority, volumeBytes >= Self.minimumVolume else { return false }
        return otherKindRun + Int64(count) >= Self.switchRun
    }

    mutating func add(_ kind: Kind?, count: Int) {
        guard let kind else { return }
        if kind != majority { otherKindRun += Int64(count) } else { otherKindRun = 0 }
        switch kind {
        case .compressible: compressibleBytes += Int64(count)
        case .random: randomBytes += Int64(count)
        }
    }

    /// Compress unless most of the volume's data looks random.
    var worthCompressing: Bool { majority == .compressible }

    mutating func reset() { self = CompressibilitySampler() }
}
