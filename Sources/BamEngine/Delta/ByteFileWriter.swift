#if canImport(Glibc)
import Glibc
#endif

/// Buffered writing of a large text file (a dirindex, an fsdelta) without
/// Foundation or a String per line. The data goes to a temporary file that
/// `finish()` renames into place, so a reader never sees half a file.
final class ByteFileWriter {
    let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    init(path: String, mode: mode_t = 0o644) throws {
        self.path = path
        temporaryPath = path + ".tmp.\(getpid())"
        fd = Glibc.open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        if fd < 0 { throw BamError.io(path: temporaryPath, operation: "create", errno: errno) }
        _ = fchmod(fd, mode)
        buffer.reserveCapacity(Self.flushThreshold + 8192)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    @inline(__always)
    func append(_ byte: UInt8) { buffer.append(byte) }

    @inline(__always)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// Lowercase hex without leading zeros, as Python's `"%x"`.
    func appendHex(_ value: Int64) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, radix: 16)
    }

    func appendDecimal(_ value: UInt64) { appendDigits(value, radix: 10) }

    /// Octal with a leading 0, as Python 2's `oct()` writes a mode: `0100644`.
    func appendOctalMode(_ value: UInt32) {
        buffer.append(UInt8(ascii: "0"))
        if value != 0 { appendDigits(UInt64(value), radix: 8) }
    }

    private func appendDigits(_ value: UInt64, radix: UInt64) {
        let start = buffer.count
        var v = value
        repeat {
            let digit = UInt8(v % radix)
            buffer.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            v /= radix
        } while v != 0
        buffer[start...].reverse()
    }

    /// Writes the buffer out once it is large; call after each line.
    @inline(__always)
    func lineDone() throws {
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    private func flush() throws {
        if buffer.isEmpty { return }
        try Posix.writeAll(fd, buffer, path: temporaryPath)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and moves the file into place.
    func finish() throws {
        try flush()
        let rc = close(fd)
        fd = -1
        if rc != 0 {
            let code = errno
            unlink(temporaryPath)
            throw BamError.io(path: temporaryPath, operation: "close", errno: code)
        }
        if rename(temporaryPath, path) != 0 {
            let code = errno
            unlink(temporaryPath)
            throw BamError.io(path: path, operation: "rename", errno: code)
        }
    }
}
