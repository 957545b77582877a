/// Makes the strings a page shows safe for Mustache's `{{ }}` escaping,
/// which looks at Swift `Character`s: a `"` followed by a combining mark
/// (`"\u{301}`) is one character that is not `"`, so it would reach an
/// attribute value unescaped and end it. Names and lines from a backup, the
/// Hub or a form can carry that, and control bytes too.
public enum TemplateValues {
    /// `context` with every string in it (in nested dictionaries and
    /// arrays too) made displayable.
    public static func displayable(_ context: [String: Any]) -> [String: Any] {
        context.mapValues(displayable(value:))
    }

    static func displayable(value: Any) -> Any {
        switch value {
        case let text as String: return displayable(text)
        case let text as Substring: return displayable(String(text))
        case let dictionary as [String: Any]: return displayable(dictionary)
        case let array as [Any]: return array.map(displayable(value:))
        default: return value
        }
    }

    /// `text` with each of `& < > " '` that shares a character with another
    /// scalar shown as U+FFFD, and control bytes other than tab, LF and CR
    /// shown as `\xNN`.
    public static func displayable(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for character in text {
            let scalars = character.unicodeScalars
            let fused = scalars.count > 1
            for scalar in scalars {
                switch scalar {
                case _ where fused && htmlSpecials.contains(scalar):
                    out.append("\u{FFFD}")
                case "\t", "\n", "\r":
                    out.append(scalar)
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    out.append(contentsOf: hex(scalar.value).unicodeScalars)
                default:
                    out.append(scalar)
                }
            }
        }
        return String(out)
    }

    private static let htmlSpecials: Set<Unicode.Scalar> = ["&", "<", ">", "\"", "'"]

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "\\x" + (digits.count == 1 ? "0" : "") + digits
    }
}
