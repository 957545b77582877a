import Testing
@testable import BamEngine

/// The splitting of mysqldump's extended INSERTs into rows, on values
/// whose quotes, escapes and parentheses would fool a naive split.
@Suite("Extended INSERT rows")
struct ExtendedInsertRowsTests {
    static func rows(_ values: String) throws -> [String] {
        var out: [String] = []
        try Array(values.utf8).withUnsafeBytes { raw in
            try ExtendedInsertRows.split(raw) { out.append(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }

    @Test("one row, several rows, NULLs and hex literals")
    func plainRows() throws {
        #expect(try Self.rows("(1,'a')") == ["1,'a'"])
        #expect(try Self.rows("(1,'a'),(2,NULL),(3,0x00FF)") == ["1,'a'", "2,NULL", "3,0x00FF"])
        #expect(try Self.rows("()") == [""])
    }

    @Test("MariaDB's layout: each row on a line of its own")
    func rowsOnLines() throws {
        #expect(try Self.rows(" \n(1,'a'),\n(2,'b')") == ["1,'a'", "2,'b'"])
        #expect(try Self.rows("(1) , (2)") == ["1", "2"])
    }

    @Test("a row separator, parentheses and quotes inside a string stay in it")
    func quotedSeparators() throws {
        #expect(try Self.rows(#"(1,'x),(y'),(2,'\'),(\'')"#) == [#"1,'x),(y'"#, #"2,'\'),(\''"#])
        #expect(try Self.rows(#"(1,'ends in a backslash\\'),(2,'')"#) == [#"1,'ends in a backslash\\'"#, "2,''"])
        // NO_BACKSLASH_ESCAPES: quotes are doubled instead.
        #expect(try Self.rows("(1,'it''s),(not'),(2,'''')") == ["1,'it''s),(not'", "2,''''"])
        #expect(try Self.rows("(1,'line\\nbreak ñ😀'),(2,'tab\\t')") == ["1,'line\\nbreak ñ😀'", "2,'tab\\t'"])
    }

    @Test("malformed values are refused, not split")
    func malformed() {
        #expect(throws: ExtendedInsertRows.Failure.notParenthesised) { try Self.rows("1,'a'") }
        #expect(throws: ExtendedInsertRows.Failure.notParenthesised) { try Self.rows("(1,'a'") }
        #expect(throws: ExtendedInsertRows.Failure.unterminatedString) { try Self.rows("(1,'a),(2,b)") }
        #expect(throws: ExtendedInsertRows.Failure.notParenthesised) { try Self.rows("") }
        #expect(throws: ExtendedInsertRows.Failure.notParenthesised) { try Self.rows("(1),") }
        #expect(throws: ExtendedInsertRows.Failure.notParenthesised) { try Self.rows("(1)(2)") }
    }
}
