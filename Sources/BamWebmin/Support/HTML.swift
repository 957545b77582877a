/// HTML escaping for text the program prints outside templates (streamed
/// command output). Templates escape through Mustache's `{{ }}`.
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters other than tab are not allowed in XML text
            // (and terminal escapes would be noise): show them as U+FFFD.
            case _ where scalar.value < 0x20 && scalar != "\t": out += "\u{FFFD}"
            case "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
