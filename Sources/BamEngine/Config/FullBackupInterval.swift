/// When a backup starts a new full chain: `now` (every backup is full) or
/// once the last full backup is older than `<count><unit>`, e.g. `1M`.
/// Units as duplicity's `--full-if-older-than`: m minutes, h hours, D days,
/// W weeks, M months, Y years.
public enum FullBackupInterval: Equatable, Sendable, CustomStringConvertible {
    case now
    case olderThan(count: Int, unit: Unit)

    public enum Unit: Character, Sendable {
        case minute = "m"
        case hour = "h"
        case day = "D"
        case week = "W"
        case month = "M"
        case year = "Y"

        /// Length in seconds (months of 30 days, years of 365, as duplicity).
        public var seconds: Int {
            switch self {
            case .minute: return 60
            case .hour: return 3600
            case .day: return 86400
            case .week: return 7 * 86400
            case .month: return 30 * 86400
            case .year: return 365 * 86400
            }
        }
    }

    /// Parses `now` or `\d+[mhDWMY]`; nil otherwise.
    public init?(_ text: String) {
        guard let interval = try? Self.parse(text) else { return nil }
        self = interval
    }

    /// As `init?`, with the reason for a refusal (without the source: the
    /// caller names the file and line or the flag). The length in seconds
    /// must fit in 64 bits, so `seconds` can never overflow.
    public static func parse(_ text: String) throws -> FullBackupInterval {
        if text == "now" { return .now }
        let shown = Posix.display(text)
        guard let last = text.last, let unit = Unit(rawValue: last), case let digits = text.dropLast(),
            !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber })
        else {
            throw BamError.invalid("must be 'now' or a number and one of m h D W M Y (e.g. 1M), got '\(shown)'")
        }
        guard let count = Int(digits), !count.multipliedReportingOverflow(by: unit.seconds).overflow else {
            throw BamError.invalid("'\(shown)' is too long an interval")
        }
        return .olderThan(count: count, unit: unit)
    }

    /// The age in seconds after which a new full backup is due; 0 for `now`.
    public var seconds: Int {
        switch self {
        case .now: return 0
        case .olderThan(let count, let unit): return count * unit.seconds
        }
    }

    public var description: String {
        switch self {
        case .now: return "now"
        case .olderThan(let count, let unit): return "\(count)\(unit.rawValue)"
        }
    }
}
