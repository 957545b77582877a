#if canImport(Glibc)
import Glibc
#endif

/// Writes a restored file's content, leaving each whole aligned 4 KiB
/// block of zeros as a hole: a sparse file (a disk image, a database's
/// preallocated space) comes back sparse instead of filling the disk with
/// zeros. The bytes read back are the same either way.
final class SparseFileWriter {
    static let blockSize = 4096
    private let fd: Int32
    private let display: String
    private(set) var position: Int64 = 0
    /// Where the descriptor's offset is: a seek is needed only after a hole.
    private var offsetOfFD: Int64 = 0
    /// The file ends in a hole that no write has closed yet.
    private var endsInHole = false

    init(fd: Int32, display: String) {
        self.fd = fd
        self.display = display
    }

    func write(_ data: UnsafeRawBufferPointer) throws {
        guard let base = data.baseAddress else { return }
        var offset = 0
        var runStart = 0  // start of the bytes not yet written
        while offset < data.count {
            let inBlock = Int(position + Int64(offset)) % Self.blockSize
            let n = min(Self.blockSize - inBlock, data.count - offset)
            if n == Self.blockSize && Self.isZero(base + offset, n) {
                try flush(base + runStart, offset - runStart, at: position + Int64(runStart))
                runStart = offset + n
                endsInHole = true
            }
            offset += n
        }
        try flush(base + runStart, data.count - runStart, at: position + Int64(runStart))
        position += Int64(data.count)
    }

    /// Sets the size when the file ends in a hole.
    func finish() throws {
        if endsInHole && ftruncate(fd, off_t(position)) != 0 {
            throw BamError.io(path: display, operation: "truncate", errno: errno)
        }
    }

    private func flush(_ bytes: UnsafeRawPointer, _ count: Int, at offset: Int64) throws {
        guard count > 0 else { return }
        if offset != offsetOfFD && lseek(fd, off_t(offset), SEEK_SET) < 0 {
            throw BamError.io(path: display, operation: "seek", errno: errno)
        }
        try Posix.writeAll(fd, bytes, count, path: display)
        offsetOfFD = offset + Int64(count)
        endsInHole = false
    }

    private static func isZero(_ bytes: UnsafeRawPointer, _ count: Int) -> Bool {
        // Eight bytes at a time (the buffer need not be aligned); the blocks are 4 KiB.
        var i = 0
        while i + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        return true
    }
}
