import Foundation

/// Guesses whether a volume's data would shrink under gpg's compression by
/// the byte entropy of small samples. Random or already-compressed data
/// (entropy near 8 bits a byte) is encrypted without compression: zlib
/// would spend most of the backup's CPU time to save nothing.
struct CompressibilitySampler {
    private var counts = [Int](repeating: 0, count: 256)
    private var sampled = 0
    private static let sampleSize = 512

    mutating func sample(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 64 else { return }
        let n = min(CompressibilitySampler.sampleSize, data.count)
        let offset = (data.count - n) / 2
        for i in offset..<(offset + n) { counts[Int(data[i])] += 1 }
        sampled += n
    }

    /// Bits per byte of the sampled data (0 when nothing was sampled).
    var entropy: Double {
        guard sampled > 0 else { return 0 }
        var h = 0.0
        let total = Double(sampled)
        for c in counts where c > 0 {
            let p = Double(c) / total
            h -= p * log2(p)
        }
        return h
    }

    /// Worth compressing unless nearly all samples look random. Small
    /// samples bias entropy low, so the bar is set a little under 8.
    var worthCompressing: Bool { sampled == 0 || entropy < 7.5 }

    mutating func reset() {
        counts = [Int](repeating: 0, count: 256)
        sampled = 0
    }
}
