#if canImport(Glibc)
import Glibc
#endif

/// One unlinked temporary file, rewritten for each input, for parsers that
/// read a descriptor or open a path (given as /proc/self/fd/N). Kept in
/// /dev/shm when there is one, so an input costs no disk I/O.
enum ScratchFile {
    static let fd: Int32 = {
        let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(directory)/bam-fuzz-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { fatalError("bam-fuzz: cannot create a scratch file in \(directory)") }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        return fd
    }()

    static var path: String { "/proc/self/fd/\(fd)" }

    /// Replaces the file's content with `bytes` and rewinds it.
    static func write(_ bytes: [UInt8]) {
        guard ftruncate(fd, 0) == 0 else { fatalError("bam-fuzz: ftruncate failed") }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(done)) }
            guard n > 0 else { fatalError("bam-fuzz: pwrite failed") }
            done += n
        }
        lseek(fd, 0, SEEK_SET)
    }
}
