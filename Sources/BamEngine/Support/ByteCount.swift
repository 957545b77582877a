import Foundation

/// Byte counts as people read them: `512 B`, `1.5 MiB`.
public enum ByteCount {
    public static func format(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n); var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    /// The sum of sizes something else reported (a target's listing, a
    /// file system): a negative size counts nothing, and a total past
    /// Int64's range is Int64.max, a wrong figure but never an overflow trap.
    public static func total<S: Sequence>(_ sizes: S) -> Int64 where S.Element == Int64 {
        var sum: Int64 = 0
        for size in sizes {
            let (result, overflow) = sum.addingReportingOverflow(max(0, size))
            if overflow { return .max }
            sum = result
        }
        return sum
    }

    /// Megabytes with two decimals, as the Hub's records show sizes.
    public static func megabytes(_ bytes: Int64) -> String { String(format: "%.2f", Double(bytes) / 1_048_576) }
}
