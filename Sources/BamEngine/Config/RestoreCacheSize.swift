/// The most the restore download cache may hold: a share of the free space
/// (`50%`) or a size in megabytes or gigabytes (`1000`, `1000mb`, `2g`,
/// `2GB`; a bare number is megabytes), as the original accepted.
public enum RestoreCacheSize: Equatable, Sendable, CustomStringConvertible {
    case percentOfFreeSpace(Int)
    case megabytes(Int)

    /// The most megabytes whose byte count still fits in 64 bits, so
    /// `bytes(freeSpace:)` can never overflow.
    static let maximumMegabytes = Int(Int64.max >> 20)

    /// Parses `\d+(%|mb?|gb?)?`, case-insensitive; nil otherwise.
    public init?(_ text: String) {
        guard let size = try? Self.parse(text) else { return nil }
        self = size
    }

    /// As `init?`, with the reason for a refusal (the caller names the
    /// file and line).
    public static func parse(_ text: String) throws -> RestoreCacheSize {
        let shown = Posix.display(text)
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let tooLarge = BamError.invalid("'\(shown)' is too large (at most 100% or \(maximumMegabytes)MB)")
        let perUnit: Int
        switch text.dropFirst(digits.count).lowercased() {
        case "%":
            if digits.isEmpty { perUnit = 0; break }
            guard let value = Int(digits), value <= 100 else { throw tooLarge }
            return .percentOfFreeSpace(value)
        case "", "m", "mb": perUnit = 1
        case "g", "gb": perUnit = 1024
        default: perUnit = 0
        }
        guard !digits.isEmpty, perUnit > 0 else {
            throw BamError.invalid("must be a percentage or megabytes/gigabytes (50%, 1000MB, 2GB), got '\(shown)'")
        }
        guard let value = Int(digits) else { throw tooLarge }
        let (megabytes, overflow) = value.multipliedReportingOverflow(by: perUnit)
        guard !overflow, megabytes <= maximumMegabytes else { throw tooLarge }
        return .megabytes(megabytes)
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
