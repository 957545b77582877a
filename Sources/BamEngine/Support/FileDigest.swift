import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// SHA-1 and size of a local file: volumes are checked against their
/// manifest's hash (restore) and recorded for resuming (backup).
enum FileDigest {
    static func sha1(_ path: String) throws -> (sha1: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var hash = Insecure.SHA1()
        var size: Int64 = 0
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try Posix.readFully(fd, buffer, bufferSize, path: path)
            hash.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            size += Int64(n)
            if n < bufferSize { break }
        }
        return (Hex.lowercase(hash.finalize()), size)
    }
}
