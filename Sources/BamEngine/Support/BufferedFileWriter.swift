#if canImport(Glibc)
import Glibc
#endif

/// Appends to a file through a 1 MiB buffer: volumes are written in many
/// small tar blocks, and a syscall per block would dominate.
final class BufferedFileWriter {
    let path: String
    private let fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    private var used = 0
    private(set) var written: Int64 = 0
    private var closed = false

    init(creating path: String, mode: mode_t = 0o600) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw BamError.io(path: path, operation: "create", errno: errno) }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if !closed { Glibc.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        written += Int64(bytes.count)
        if used + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try Posix.writeAll(fd, base, bytes.count, path: path)
            return
        }
        (buffer + used).copyMemory(from: base, byteCount: bytes.count)
        used += bytes.count
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func writeZeros(_ count: Int) throws {
        if count <= 0 { return }
        try write([UInt8](repeating: 0, count: count))
    }

    func flush() throws {
        if used > 0 {
            try Posix.writeAll(fd, buffer, used, path: path)
            used = 0
        }
    }

    func close() throws {
        if closed { return }
        try flush()
        closed = true
        if Glibc.close(fd) != 0 { throw BamError.io(path: path, operation: "close", errno: errno) }
    }
}
