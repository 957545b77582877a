import Foundation

/// The registry's field files, `credentials` and `hbr`: one `key=value`
/// per line, as the original writes them (bam wrote `hbr` as `key value`
/// before, so a file may say which separators it takes). Blank lines and
/// whole-line `#` comments are skipped; keys are lower-cased; the last of
/// a repeated key wins. A line without a separator is an error naming the
/// file and line, never quoting it: in `credentials` it may hold a secret.
enum KeyValueLines {
    static func parse(_ text: String, file: String, separators: Set<Character> = ["="]) throws -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let split = line.firstIndex(where: separators.contains) else {
                throw BamError.invalid("\(file) line \(number + 1): expected key=value")
            }
            let key = line[..<split].trimmingCharacters(in: .whitespaces).lowercased()
            values[key] = line[line.index(after: split)...].trimmingCharacters(in: .whitespaces)
        }
        return values
    }

    /// The file's fields; nil when it does not exist.
    static func read(_ file: String, separators: Set<Character> = ["="]) throws -> [String: String]? {
        guard Posix.fileExists(file) else { return nil }
        return try parse(String(decoding: try Posix.readFile(file), as: UTF8.self), file: file, separators: separators)
    }
}
