#if canImport(Glibc)
import Glibc
#endif

/// Reads a `dirindex` one record at a time through a fixed buffer, so an
/// index of a million lines is never held in memory; checks that paths
/// come in strictly increasing byte order, which the delta's sorted merge
/// relies on. Blank lines are skipped, as the original did.
public final class DirIndexReader {
    public let path: String
    /// The line number of the record last returned.
    public private(set) var lineNumber = 0

    private var fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEndOfFile = false
    private var previousPath: [UInt8]?

    public init(path: String) throws {
        self.path = path
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The next record; nil at the end of the file.
    public func next() throws -> DirIndexRecord? {
        while true {
            guard let line = try nextLine() else { return nil }
            lineNumber += 1
            let record: DirIndexRecord? = try buffer.withUnsafeBufferPointer { b in
                let text = UnsafeBufferPointer(rebasing: b[line])
                if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { return nil }
                return try DirIndexRecord.parse(text, file: path, lineNumber: lineNumber)
            }
            guard let record else { continue }
            if let previousPath, PathBytes.compare(previousPath, record.path) >= 0 {
                throw BamError.invalid(
                    "\(path):\(lineNumber): \(Posix.display(record.path)) is out of order (dirindex must be sorted by path)"
                )
            }
            previousPath = record.path
            return record
        }
    }

    /// The range in `buffer` of the next line without its newline.
    private func nextLine() throws -> Range<Int>? {
        var searchFrom = start
        while true {
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard end > searchFrom else { return nil }
                guard let p = memchr(b.baseAddress! + searchFrom, Int32(PathBytes.newline), end - searchFrom) else {
                    return nil
                }
                return UnsafeRawPointer(b.baseAddress!).distance(to: UnsafeRawPointer(p))
            }
            if let newline = found {
                let line = start..<newline
                start = newline + 1
                return line
            }
            if atEndOfFile {
                if start == end { return nil }
                let line = start..<end
                start = end
                return line
            }
            // Keep the partial line, make room, read more.
            let pending = end - start
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, pending)
                }
                start = 0
                end = pending
            }
            if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            searchFrom = end
            let n = try buffer.withUnsafeMutableBytes { b in
                try Posix.readFully(fd, b.baseAddress! + end, b.count - end, path: path)
            }
            if n == 0 { atEndOfFile = true }
            end += n
        }
    }
}
