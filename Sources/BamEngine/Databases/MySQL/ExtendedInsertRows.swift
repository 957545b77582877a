/// Splits the values of one extended INSERT, as mysqldump writes it
/// (`(row),(row),…` between `VALUES` and `;`), into its rows.
///
/// Outside quotes a row holds only literals (numbers, NULL, `0x…` with
/// --hex-blob), so a row can end only at a `)` outside a quoted string.
/// Inside one, mysqldump escapes with backslashes; under the
/// NO_BACKSLASH_ESCAPES sql_mode it doubles the quote instead. Both are
/// followed here, so a `'),('` inside a value never splits it.
enum ExtendedInsertRows {
    enum Failure: Error, Equatable {
        /// The values do not start with `(` or end with `)`.
        case notParenthesised
        /// A quoted string is still open at the end of the statement.
        case unterminatedString
    }

    /// Calls `row` with the text of each row, without its parentheses.
    /// `values` is everything between `VALUES` and the final `;`; white
    /// space (MariaDB's dump puts each row on its own line) may surround
    /// the rows and the commas between them.
    static func split(_ values: UnsafeRawBufferPointer, _ row: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = values.baseAddress else { throw Failure.notParenthesised }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let end = values.count
        var i = skipSpace(bytes, from: 0, end: end)
        while true {
            guard i < end, bytes[i] == openParen else { throw Failure.notParenthesised }
            let start = i + 1
            i = start
            // Outside quotes a row has no `)` of its own: the first closes it.
            while true {
                guard i < end else { throw Failure.notParenthesised }
                let c = bytes[i]
                if c == quote { i = try skipString(bytes, from: i + 1, end: end); continue }
                if c == closeParen { break }
                i += 1
            }
            try row(UnsafeRawBufferPointer(start: bytes + start, count: i - start))
            i = skipSpace(bytes, from: i + 1, end: end)
            if i == end { return }
            guard bytes[i] == comma else { throw Failure.notParenthesised }
            i = skipSpace(bytes, from: i + 1, end: end)
        }
    }

    private static func skipSpace(_ bytes: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09) { i += 1 }
        return i
    }

    /// The index just after the quote that closes the string whose first
    /// byte is at `from`. (MySQL juxtaposes no strings in a dump, so `''`
    /// is always an escaped quote.)
    private static func skipString(_ bytes: UnsafePointer<UInt8>, from: Int, end: Int) throws -> Int {
        var i = from
        while i < end {
            let c = bytes[i]
            if c == backslash {
                i += 2
            } else if c == quote {
                if i + 1 < end && bytes[i + 1] == quote { i += 2; continue }  // '' inside the string
                return i + 1
            } else {
                i += 1
            }
        }
        throw Failure.unterminatedString
    }

    private static let openParen = UInt8(ascii: "(")
    private static let closeParen = UInt8(ascii: ")")
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "'")
    private static let backslash = UInt8(ascii: "\\")
}
