#if canImport(Glibc)
import Glibc
#endif

/// Whether deflating a piece of data pays, judged cheaply: the byte
/// entropy of four 512-byte samples spread over it. Random and already
/// compressed data (archives, images, packages) reach about 7.9 bits a
/// byte in 2 KiB; text, code and binaries stay well under 7.
/// Deflating such data spends CPU time to save nothing, so it is stored.
public enum CompressibilityEstimate {
    static let sampleCount = 4
    static let sampleSize = 512
    /// Below this the samples would be most of the data: just compress.
    static let minimumSize = 4096
    static let threshold = 7.5

    public static func worthCompressing(_ data: UnsafeRawBufferPointer) -> Bool {
        guard data.count >= minimumSize else { return true }
        var counts = [Int32](repeating: 0, count: 256)
        let stride = data.count / sampleCount
        for sample in 0..<sampleCount {
            // Each sample sits in the middle of its quarter.
            let start = sample * stride + (stride - sampleSize) / 2
            for i in start..<(start + sampleSize) { counts[Int(data[i])] += 1 }
        }
        let total = Double(sampleCount * sampleSize)
        var entropy = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / total
            entropy -= p * log2(p)
        }
        return entropy < threshold
    }
}
