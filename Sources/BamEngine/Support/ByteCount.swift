import Foundation

/// Byte counts as people read them: `512 B`, `1.5 MiB`.
public enum ByteCount {
    public static func format(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n); var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    /// Megabytes with two decimals, as the Hub's records show sizes.
    public static func megabytes(_ bytes: Int64) -> String { String(format: "%.2f", Double(bytes) / 1_048_576) }
}
