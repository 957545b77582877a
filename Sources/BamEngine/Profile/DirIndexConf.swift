import Foundation

/// A profile's `dirindex.conf`: the paths whose state the profile records,
/// one absolute path per line, a `-` prefix to exclude, `#` starting a
/// comment anywhere on the line (as the original's `re.sub(r'#.*', '')`).
public struct DirIndexConf: Equatable, Sendable {
    public static let fileName = "dirindex.conf"

    /// The Debian core list every profile starts from.
    public static let debianCore = try! DirIndexConf.parse(CoreDirIndexConf.text, file: "core.conf")

    public var rules: [PathRule]
    /// The text the rules came from, comments included, so a profile made
    /// from it keeps them; generated from the rules otherwise.
    public var text: String

    public init(rules: [PathRule]) {
        self.rules = rules
        text = rules.map { $0.description + "\n" }.joined()
    }

    /// Parses the text of a dirindex.conf; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> DirIndexConf {
        var rules: [PathRule] = []
        for (lineNumber, rawLine) in ConfigLines.numbered(text) {
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let entry = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.isEmpty { continue }
            guard let rule = PathRule(entry) else {
                throw BamError.invalid("\(file):\(lineNumber): '\(entry)' is not an absolute path")
            }
            rules.append(rule)
        }
        var conf = DirIndexConf(rules: rules)
        conf.text = text
        return conf
    }

    /// Reads and parses the dirindex.conf at `path`.
    public static func load(_ path: String) throws -> DirIndexConf {
        let bytes = try Posix.readFile(path)
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }
}
