import Foundation
import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Typed checks for every value a form can send. A value that passes is
/// one token of a known shape, so nothing typed into a form can become an
/// extra option or argument of a command; free text (passphrases) only ever
/// goes to a program's stdin.
public enum WebminInput {
    public struct Invalid: Error, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    static func only(_ text: String, _ allowed: (Unicode.Scalar) -> Bool) -> Bool {
        text.unicodeScalars.allSatisfy(allowed)
    }
    static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }

    /// A user or file name part: letters, digits, `._-`, not starting with `.`/`-`.
    public static func isSafeName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && !text.hasPrefix(".") && !text.hasPrefix("-")
            && only(text) { isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// A Hub API key: 8–128 characters of Base32/Base64-style text.
    public static func apiKey(_ text: String, field: String = "API key") throws -> String {
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (8...128).contains(key.count), only(key, { isAlnum($0) || "+/=_-".unicodeScalars.contains($0) }), !key.hasPrefix("-") else {
            throw Invalid(field: field, message: "an API key is 8 to 128 letters, digits and + / = _ - (copy it from the Hub)")
        }
        return key
    }

    /// A Hub backup id: a whole number.
    public static func backupID(_ text: String, field: String = "backup") throws -> String {
        guard (1...18).contains(text.count), only(text, { $0 >= "0" && $0 <= "9" }) else {
            throw Invalid(field: field, message: "a backup id is a whole number, got '\(text)'")
        }
        return text
    }

    /// A restore time as `bam restore --time` takes it: now, epoch
    /// seconds, 2026-11-27T10:00:00, 20261127T100000Z, or an age like 3D.
    public static func time(_ text: String, field: String = "time") throws -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.count <= 25, only(t, { isAlnum($0) || $0 == "-" || $0 == ":" }), !t.hasPrefix("-") else {
            throw Invalid(field: field, message: "expected now, seconds since 1970, 2026-11-27T10:00:00, 20261127T100000Z or an age like 3D")
        }
        do { _ = try BackupTime.parseUserTime(t) } catch {
            throw Invalid(field: field, message: "\(error)")
        }
        return t
    }

    /// A size: a whole number within `range`.
    public static func size(_ text: String, field: String, range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw Invalid(field: field, message: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return n
    }

    /// An absolute path of plain characters (no spaces, quotes or `..`),
    /// enough for a local backup target or a directory setting.
    public static func path(_ text: String, field: String) throws -> String {
        let p = text.trimmingCharacters(in: .whitespaces)
        let parts = p.split(separator: "/")
        guard p.hasPrefix("/"), p.count <= 1024, !parts.contains("..") && !parts.contains("."),
            only(p, { isAlnum($0) || "/._+-@".unicodeScalars.contains($0) })
        else {
            throw Invalid(field: field, message: "expected an absolute path of letters, digits and / . _ + - @ (no spaces or '..'), got '\(text)'")
        }
        return p.count > 1 && p.hasSuffix("/") ? String(p.dropLast()) : p
    }

    /// Restore limits, one per line: `/path`, `-/path`, `mysql:db[/table]`,
    /// `pgsql:…`. No spaces inside one, because `bam restore --limits` splits on them.
    public static func limits(_ text: String, field: String = "limits") throws -> [String] {
        var result: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard !line.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw Invalid(field: field, message: "line \(n + 1): a limit may not contain spaces: '\(line)'")
            }
            do { _ = try Overrides.parseLimit(line) } catch { throw Invalid(field: field, message: "line \(n + 1): \(error)") }
            result.append(line)
        }
        guard result.count <= 200 else { throw Invalid(field: field, message: "at most 200 limits") }
        return result
    }

    /// A passphrase: any text on one line (it goes to stdin, never argv).
    public static func passphrase(_ text: String, field: String = "passphrase") throws -> String {
        guard !text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }), text.utf8.count <= 1024 else {
            throw Invalid(field: field, message: "a passphrase is one line of at most 1024 bytes")
        }
        return text
    }

    /// A new passphrase typed twice (fields `passphrase` and `confirm`),
    /// each checked as a passphrase; whether they match is the page's call.
    public static func passphrasePair(_ form: FormFields) throws -> (first: String, second: String) {
        (try passphrase(form.value("passphrase") ?? ""), try passphrase(form.value("confirm") ?? "", field: "confirmation"))
    }

    /// An escrow key file's text: a key packet (checked by parsing it).
    public static func keyPacket(_ bytes: [UInt8], field: String = "escrow key") throws -> String {
        guard !bytes.isEmpty, bytes.count <= 16 * 1024, let text = String(validating: bytes, as: UTF8.self) else {
            throw Invalid(field: field, message: "an escrow key is a small text file (at most 16 KiB)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do { _ = try KeyPacket.format(of: trimmed) } catch {
            throw Invalid(field: field, message: "not a bam/TKLBAM key packet: \(error)")
        }
        return trimmed
    }
}
