/// Reads the directory listing libcurl gives for an SFTP directory: the
/// server's `ls -l` style line for each entry (OpenSSH's
/// `-rw-------    1 user     group        1000 Dec  4 10:00 name`, a
/// symlink followed by ` -> target`). The lines come from the server, so
/// nothing in them is trusted: a line that does not have that shape, a
/// size that is not a plain number or overflows, is an error naming the
/// line, never a trap.
public enum SFTPListing {
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let size: Int64
        public let isRegularFile: Bool
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let line: String
        public let why: String
        public var description: String { "unreadable directory listing line '\(Posix.display(line))': \(why)" }
    }

    /// The entries of `text`, blank lines skipped.
    public static func parse(_ text: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        for raw in text.split(separator: 0x0A, omittingEmptySubsequences: true) {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            if line.isEmpty { continue }
            entries.append(try entry(line))
        }
        return entries
    }

    /// One line: eight blank-separated fields (mode, links, owner, group,
    /// size, and a date of three), one blank, then the name as it is,
    /// blanks and all.
    static func entry(_ line: [UInt8]) throws -> Entry {
        let text = String(decoding: line, as: UTF8.self)
        func fail(_ why: String) -> Malformed { Malformed(line: text, why: why) }
        var fields: [ArraySlice<UInt8>] = []
        var i = 0
        while fields.count < 8 {
            while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
            guard i < line.count else { throw fail("fewer than 9 fields") }
            let start = i
            while i < line.count && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
            fields.append(line[start..<i])
        }
        guard i < line.count, line[i] == 0x20 || line[i] == 0x09 else { throw fail("no name") }
        let nameBytes = line[(i + 1)...]
        guard !nameBytes.isEmpty else { throw fail("no name") }
        let mode = fields[0]
        guard mode.count >= 10, let kind = mode.first, "-dlcbps".utf8.contains(kind) else { throw fail("no file mode") }
        let sizeField = fields[4]
        guard !sizeField.isEmpty, sizeField.count <= 19, sizeField.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw fail("the size is not a number")
        }
        var size: Int64 = 0
        for digit in sizeField {
            let (times, o1) = size.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(digit - 0x30))
            guard !o1, !o2 else { throw fail("the size is too large") }
            size = sum
        }
        var name = Array(nameBytes)
        if kind == UInt8(ascii: "l"), let arrow = find(Array(" -> ".utf8), in: name) { name = Array(name[..<arrow]) }
        return Entry(name: String(decoding: name, as: UTF8.self), size: size, isRegularFile: kind == UInt8(ascii: "-"))
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
