/// The plain files a Unix-style FTP `LIST` reply names, with their sizes
/// (`-rw-r--r-- 1 owner group 1000 Dec  4 10:00 name with spaces`), as
/// vsftpd, ProFTPD, Pure-FTPd and rclone send it. The reply comes from the
/// server and is hostile input: lines that are not plain files
/// (directories, links, `total N`) are skipped, a file line whose size is
/// not a number is an error, never a trap.
public enum FTPListing {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    /// Names starting with a dot (uploads under way, probes) are left out
    /// unless `hidden`.
    public static func parse(_ body: [UInt8], hidden: Bool = false) throws -> [StoredObject] {
        var objects: [StoredObject] = []
        var seen = Set<String>()
        for rawLine in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let first = line.first else { continue }
            guard first == UInt8(ascii: "-") else { continue }  // d, l, total, ...
            // Eight blank-separated fields, then the name (which may hold
            // blanks of its own, kept as they are).
            var fields: [ArraySlice<UInt8>] = []
            var rest = line
            while fields.count < 8 {
                rest = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                let field = rest.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
                guard !field.isEmpty else { break }
                fields.append(field)
                rest = rest.dropFirst(field.count)
            }
            guard fields.count == 8, rest.first == UInt8(ascii: " ") else {
                throw ParseError(message: "a LIST line the parser does not understand: \(excerpt(line))")
            }
            let nameBytes = rest.dropFirst()
            guard let name = String(validating: nameBytes, as: UTF8.self), !name.isEmpty else {
                throw ParseError(message: "a LIST line with an empty or non-UTF-8 name: \(excerpt(line))")
            }
            let sizeField = fields[4]
            guard sizeField.count <= 18, sizeField.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let size = Int64(String(decoding: sizeField, as: UTF8.self))
            else {
                throw ParseError(message: "a LIST line with an invalid size: \(excerpt(line))")
            }
            if (name.hasPrefix(".") && !hidden) || name == "." || name == ".." || name.contains("/") { continue }
            if seen.insert(name).inserted { objects.append(StoredObject(name: name, size: size)) }
        }
        return objects
    }

    static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        let text = String(decoding: line.prefix(120), as: UTF8.self)
        return String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
    }
}
