/// The name of the profile a system needs, detected from its root as the
/// original did, first match wins: the contents of `/etc/turnkey_version`;
/// `ID-VERSION_ID` from `/etc/os-release`; `debian-<major>` from
/// `/etc/debian_version`; `generic`.
public enum ProfileID {
    /// The forced id meaning "no profile": every included path is new.
    public static let empty = "empty"
    public static let generic = "generic"

    public static func detect(root: String = "/") -> String {
        let base = root.hasSuffix("/") ? root : root + "/"
        if let text = readText(base + "etc/turnkey_version") {
            let version = text.trimmingWhitespace()
            if !version.isEmpty { return version }
        }
        if let text = readText(base + "etc/os-release") {
            let values = parseOSRelease(text)
            if let id = values["ID"], let version = values["VERSION_ID"], !id.isEmpty, !version.isEmpty {
                return "\(id)-\(version)"
            }
        }
        if let text = readText(base + "etc/debian_version") {
            let version = text.trimmingWhitespace()
            let major = version.prefix(while: { $0.isASCII && $0.isNumber })
            if !major.isEmpty { return "debian-\(major)" }
            // Testing and unstable say "trixie/sid"; the original kept it.
            if version.contains("/") { return "debian-" + version.replacingSlashes() }
        }
        return generic
    }

    /// `KEY=value` lines, values optionally in single or double quotes.
    static func parseOSRelease(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for (_, line) in ConfigLines.numbered(text) {
            let trimmed = String(line).trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<eq])
            var value = Substring(trimmed[trimmed.index(after: eq)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            values[key] = String(value)
        }
        return values
    }

    private static func readText(_ path: String) -> String? {
        guard Posix.fileExists(path), let bytes = try? Posix.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }

    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "_" : $0 })
    }
}
