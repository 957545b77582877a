#if canImport(Glibc)
import Glibc
#endif

/// Reads a byte stream (a pipe from a dump tool) line by line through a
/// fixed buffer, so memory stays flat however large the dump; only one
/// line (one row, for mysqldump) is ever held whole.
final class LineReader {
    private let fd: Int32
    private let name: String
    private var buffer: UnsafeMutableRawPointer
    private var capacity = 1 << 20
    private var start = 0
    private var end = 0
    private var eof = false
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with the next line (without its newline); false at the end.
    /// The bytes are valid only inside `body`.
    func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var scanFrom = start
        while true {
            if end > scanFrom, let nl = memchr(buffer + scanFrom, 0x0a, end - scanFrom) {
                let lineEnd = buffer.distance(to: UnsafeMutableRawPointer(nl))
                let line = UnsafeRawBufferPointer(start: buffer + start, count: lineEnd - start)
                start = lineEnd + 1
                lineNumber += 1
                return try body(line)
            }
            scanFrom = end
            if eof {
                if start == end { return nil }
                let line = UnsafeRawBufferPointer(start: buffer + start, count: end - start)
                start = end
                lineNumber += 1
                return try body(line)
            }
            // Make room: move the partial line to the front, grow if it fills the buffer.
            if start > 0 {
                let pending = end - start
                if pending > 0 { memmove(buffer, buffer + start, pending) }
                scanFrom -= start
                end = pending
                start = 0
            }
            if end == capacity {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: end)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = Glibc.read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: name, operation: "read", errno: errno)
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}
