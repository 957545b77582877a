/// Tells where a statement of a MySQL script ends, the way the mysql
/// client does, fed one line at a time: the delimiter counts only as code,
/// never inside a quoted string ('...' and "..." with backslash escapes,
/// `...`), a `/* */` comment, or a `-- ` or `#` comment. An executable
/// comment (`/*!50003 ... */`, `/*M!...*/`) is code, as it is to the
/// server. mysqldump ends each statement at the end of a line, so a
/// statement is complete when the last code on a line is the delimiter
/// and no quote or comment is left open: a routine body whose string
/// literal holds a line ending in `;;` stays one statement.
struct SQLStatementScanner {
    private enum State { case code, single, double, backtick, blockComment }
    private var state = State.code
    private var executableComments = 0
    /// The last code bytes seen on the current line (at most the
    /// delimiter's length); quotes count as code, their insides do not.
    private var tail: [UInt8] = []

    /// Forgets everything: the next line starts a statement.
    mutating func reset() {
        state = .code
        executableComments = 0
        tail.removeAll(keepingCapacity: true)
    }

    /// Feeds one line (without its newline); true when the statement ends
    /// on it with `delimiter`.
    mutating func endsStatement<Line: RandomAccessCollection>(_ line: Line, delimiter: [UInt8]) -> Bool
    where Line.Element == UInt8, Line.Index == Int {
        tail.removeAll(keepingCapacity: true)
        func code(_ byte: UInt8) {
            tail.append(byte)
            if tail.count > max(delimiter.count, 1) { tail.removeFirst() }
        }
        var i = line.startIndex
        let end = line.endIndex
        func at(_ offset: Int) -> UInt8? { i + offset < end ? line[i + offset] : nil }
        lineLoop: while i < end {
            let byte = line[i]
            switch state {
            case .single, .double:
                if byte == 0x5c { i += 2; continue }  // a backslash escapes the next byte
                if byte == (state == .single ? 0x27 : 0x22) { state = .code; code(byte) }
            case .backtick:
                if byte == 0x60 { state = .code; code(byte) }
            case .blockComment:
                if byte == 0x2a && at(1) == 0x2f { state = .code; i += 2; continue }
            case .code:
                switch byte {
                case 0x27: state = .single; code(byte)
                case 0x22: state = .double; code(byte)
                case 0x60: state = .backtick; code(byte)
                case 0x23: break lineLoop  // '#' comment
                case 0x2d where at(1) == 0x2d && (at(2) == nil || at(2)! <= 0x20):
                    break lineLoop  // '-- ' comment
                case 0x2f where at(1) == 0x2a:
                    if at(2) == 0x21 || (at(2) == 0x4d && at(3) == 0x21) {
                        executableComments += 1
                        code(byte)
                        code(0x2a)
                    } else {
                        state = .blockComment
                    }
                    i += 2
                    continue
                case 0x2a where at(1) == 0x2f && executableComments > 0:
                    executableComments -= 1
                    code(byte)
                    code(0x2f)
                    i += 2
                    continue
                case 0x20, 0x09, 0x0d: break
                default: code(byte)
                }
            }
            i += 1
        }
        guard state == .code, !delimiter.isEmpty, tail.count >= delimiter.count else { return false }
        return tail.suffix(delimiter.count).elementsEqual(delimiter)
    }
}
