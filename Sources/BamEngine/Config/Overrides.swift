import Foundation

/// The `overrides` file in the configuration directory: one limit per line
/// (spaces allowed inside paths), `-` to exclude, `#` comments:
/// `/abs/path` (globs allowed), `mysql:db[/table]`, `pgsql:db[/table]`.
/// Backup command-line limits are appended after the file's.
///
/// A `#` starts a comment at the beginning of a line or after whitespace,
/// so `/srv/a#b` stays a path while `/srv/x  # why` has a comment.
public struct Overrides: Equatable, Sendable {
    public static let fileName = "overrides"

    public enum Limit: Hashable, Sendable, CustomStringConvertible {
        case path(PathRule)
        case database(DatabaseLimit)

        public var description: String {
            switch self {
            case .path(let rule): return rule.description
            case .database(let limit): return limit.description
            }
        }
    }

    /// Every limit in order: the file's, then appended ones.
    public var limits: [Limit]

    public init(limits: [Limit] = []) {
        self.limits = limits
    }

    /// The path limits, in order; appended to the profile's dirindex.conf.
    public var pathRules: [PathRule] {
        limits.compactMap { if case .path(let rule) = $0 { return rule } else { return nil } }
    }

    public var databaseLimits: [DatabaseLimit] {
        limits.compactMap { if case .database(let limit) = $0 { return limit } else { return nil } }
    }

    /// The limits as written, e.g. for the `overrides` list of backup-conf.
    public var lines: [String] { limits.map(\.description) }

    /// This list with `more` (command-line limits) appended.
    public func appending(_ more: [Limit]) -> Overrides {
        Overrides(limits: limits + more)
    }

    /// Reads `<directory>/overrides`; a missing file has no limits.
    public static func load(confDirectory directory: String) throws -> Overrides {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + fileName
        guard Posix.fileExists(path) else { return Overrides() }
        return try parse(String(decoding: try Posix.readFile(path), as: UTF8.self), file: path)
    }

    /// Parses the text of an overrides file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> Overrides {
        var limits: [Limit] = []
        for (number, rawLine) in ConfigLines.numbered(text) {
            let line = stripComment(rawLine).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            switch classify(line) {
            case .success(let limit): limits.append(limit)
            case .failure(let failure): throw BamError.invalid("\(file):\(number): \(failure.message)")
            }
        }
        return Overrides(limits: limits)
    }

    /// Parses one limit given on the command line.
    public static func parseLimit(_ text: String) throws -> Limit {
        switch classify(text.trimmingCharacters(in: .whitespaces)) {
        case .success(let limit): return limit
        case .failure(let failure): throw BamError.invalid("limit \(failure.message)")
        }
    }

    private static func classify(_ text: String) -> Result<Limit, ParseFailure> {
        if let database = DatabaseLimit.parse(text) {
            return database.map(Limit.database)
        }
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard body.hasPrefix("/"), let rule = PathRule(text) else {
            return .failure(
                ParseFailure(
                    "'\(text)' is not a limit: expected an absolute path, mysql:db[/table] or pgsql:db[/table], optionally prefixed by '-'"
                ))
        }
        return .success(.path(rule))
    }

    private static func stripComment(_ line: Substring) -> Substring {
        var previous: Character?
        for index in line.indices {
            let c = line[index]
            if c == "#" && (previous == nil || previous!.isWhitespace) { return line[..<index] }
            previous = c
        }
        return line
    }
}
