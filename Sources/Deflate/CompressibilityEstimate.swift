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

    /// Blocks the spans are judged by: tar's record size, so that tar's
    /// headers and padding inside an otherwise random chunk (duplicity
    /// splits large files into 64 KiB blocks, each behind a 512-byte
    /// header) stand out.
    static let spanBlock = 512
    /// Random bytes show about 220 distinct values in 512; text, code and
    /// tar headers far fewer.
    static let distinctLimit = 160

    /// For data `worthCompressing` turned down: the spans that still pay
    /// (a run of 512-byte blocks of few distinct bytes, such as tar headers
    /// and zero padding between the random data), in order, with whether
    /// each is worth compressing. Together they cover `data`.
    public static func spans(_ data: UnsafeRawBufferPointer) -> [(range: Range<Int>, compress: Bool)] {
        var spans: [(range: Range<Int>, compress: Bool)] = []
        var seen = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var start = 0
        while start < data.count {
            let end = min(start + spanBlock, data.count)
            seen = (0, 0, 0, 0)
            var distinct = 0
            for i in start..<end {
                let byte = data[i]
                let bit = UInt64(1) << (byte & 63)
                switch byte >> 6 {
                case 0: if seen.0 & bit == 0 { seen.0 |= bit; distinct += 1 }
                case 1: if seen.1 & bit == 0 { seen.1 |= bit; distinct += 1 }
                case 2: if seen.2 & bit == 0 { seen.2 |= bit; distinct += 1 }
                default: if seen.3 & bit == 0 { seen.3 |= bit; distinct += 1 }
                }
            }
            let compress = distinct < distinctLimit && end - start == spanBlock
            if let last = spans.last, last.compress == compress {
                spans[spans.count - 1].range = last.range.lowerBound..<end
            } else {
                spans.append((start..<end, compress))
            }
            start = end
        }
        return spans
    }
}
