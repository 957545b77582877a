/// The most the restore download cache may hold: a share of the free space
/// (`50%`) or a size in megabytes or gigabytes (`1000`, `1000mb`, `2g`,
/// `2GB`; a bare number is megabytes), as the original accepted.
public enum RestoreCacheSize: Equatable, Sendable, CustomStringConvertible {
    case percentOfFreeSpace(Int)
    case megabytes(Int)

    /// Parses `\d+(%|mb?|gb?)?`, case-insensitive; nil otherwise.
    public init?(_ text: String) {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        switch text.dropFirst(digits.count).lowercased() {
        case "%":
            guard value <= 100 else { return nil }
            self = .percentOfFreeSpace(value)
        case "", "m", "mb": self = .megabytes(value)
        case "g", "gb": self = .megabytes(value * 1024)
        default: return nil
        }
    }

    /// The limit in bytes given the free space where the cache lives.
    public func bytes(freeSpace: Int64) -> Int64 {
        switch self {
        case .percentOfFreeSpace(let percent): return freeSpace / 100 * Int64(percent)
        case .megabytes(let mb): return Int64(mb) * 1024 * 1024
        }
    }

    public var description: String {
        switch self {
        case .percentOfFreeSpace(let percent): return "\(percent)%"
        case .megabytes(let mb): return "\(mb)MB"
        }
    }
}
