import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Times in duplicity file names: UTC `YYYYMMDDTHHMMSSZ`, whole seconds.
public enum BackupTime {
    public static func format(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in r { guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }; v = v * 10 + Int32(b[i] - 0x30) }
            return v
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11), let mi = num(11..<13), let s = num(13..<15),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = y - 1900; parts.tm_mon = mo - 1; parts.tm_mday = d
        parts.tm_hour = h; parts.tm_min = mi; parts.tm_sec = s
        return Int64(timegm(&parts))
    }

    /// A human timestamp for summaries: `2026-11-27 22:49:04 UTC`.
    public static func display(_ seconds: Int64) -> String {
        let s = format(seconds)
        let b = Array(s)
        return "\(String(b[0..<4]))-\(String(b[4..<6]))-\(String(b[6..<8])) \(String(b[9..<11])):\(String(b[11..<13])):\(String(b[13..<15])) UTC"
    }

    /// Parses a user's `--time`: `now`, epoch seconds, `YYYYMMDDTHHMMSSZ`,
    /// ISO `YYYY-MM-DD[THH:MM:SS][Z]` (UTC), or an age like `3D`, `2h30m`
    /// (s m h D W M Y) meaning that long before `now`.
    public static func parseUserTime(_ text: String, now: Int64 = Int64(Glibc.time(nil))) throws -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return now }
        if let v = Int64(t) { return try inRange(v, text) }
        if !t.isEmpty && t.allSatisfy({ $0.isASCII && $0.isNumber }) { throw outOfRange(text) }
        if let v = parse(t) { return v }
        if looksLikeAge(t) {
            // An age reaching before 1970 selects from the very beginning.
            let (earlier, overflow) = now.subtractingReportingOverflow(try parseAge(t))
            return overflow ? 0 : max(0, earlier)
        }
        let iso = t.hasSuffix("Z") ? String(t.dropLast()) : t
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = TimeZone(identifier: "UTC")
        for pattern in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"] {
            fmt.dateFormat = pattern
            if let d = fmt.date(from: iso) {
                // A Double beyond Int64 would trap in the conversion.
                let seconds = d.timeIntervalSince1970
                guard seconds >= 0, seconds <= Double(latestUserTime) else { throw outOfRange(text) }
                return Int64(seconds)
            }
        }
        throw BamError.invalid(
            "cannot understand time '\(Posix.display(text))': use now, epoch seconds, 2026-11-27T10:00:00, 20261127T100000Z or an age like 3D")
    }

    /// The latest time a user may name: the end of year 9999, the last a
    /// backup file name (`YYYYMMDDTHHMMSSZ`) can carry. Nothing earlier
    /// than 1970 exists in a backup either.
    static let latestUserTime: Int64 = 253_402_300_799

    private static func inRange(_ seconds: Int64, _ text: String) throws -> Int64 {
        guard (0...latestUserTime).contains(seconds) else { throw outOfRange(text) }
        return seconds
    }

    private static func outOfRange(_ text: String) -> BamError {
        BamError.invalid("time '\(Posix.display(text))' is out of range (1970 to 9999)")
    }

    /// Digits and unit letters only: what `parseAge` is meant for, so
    /// its errors (an overflow) are reported rather than guessed around.
    private static func looksLikeAge(_ text: String) -> Bool {
        text.first.map { $0.isASCII && $0.isNumber } == true && text.allSatisfy { $0.isASCII && ($0.isNumber || "smhDWMY".contains($0)) }
    }

    /// An age such as `1M` or `2W3D`: s seconds, m minutes, h hours, D days,
    /// W weeks, M months (30 days), Y years (365 days). Checked arithmetic:
    /// an age that does not fit in 64 bits is an error, not a trap.
    public static func parseAge(_ text: String) throws -> Int64 {
        let shown = Posix.display(text)
        var total: Int64 = 0
        var digits = ""
        var sawUnit = false
        for c in text {
            if c.isASCII && c.isNumber { digits.append(c); continue }
            guard !digits.isEmpty else { throw BamError.invalid("bad age '\(shown)'") }
            guard let n = Int64(digits) else { throw BamError.invalid("age '\(shown)' is too large") }
            let unit: Int64
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "D": unit = 86400
            case "W": unit = 7 * 86400
            case "M": unit = 30 * 86400
            case "Y": unit = 365 * 86400
            default: throw BamError.invalid("bad age '\(shown)': unknown unit '\(Posix.display(String(c)))' (use s m h D W M Y)")
            }
            let (part, productOverflow) = n.multipliedReportingOverflow(by: unit)
            let (sum, sumOverflow) = total.addingReportingOverflow(part)
            guard !productOverflow, !sumOverflow else { throw BamError.invalid("age '\(shown)' is too large") }
            total = sum
            digits = ""
            sawUnit = true
        }
        guard sawUnit, digits.isEmpty else { throw BamError.invalid("bad age '\(shown)': expected a number and a unit, like 1M") }
        return total
    }
}
