#if canImport(Glibc)
import Glibc
#endif

/// The changed files a backup's manifest lists, spooled to a scratch file
/// as the walk finds them. A full backup of a million files lists some
/// 70 MB of paths: held as an array and rendered into the manifest at the
/// end, they took the backup's peak RSS past 250 MB.
final class ManifestFileList {
    private let spool: BufferedFileWriter
    private(set) var count = 0

    init(path: String) throws {
        spool = try BufferedFileWriter(creating: path)
    }

    func append(_ path: [UInt8], _ change: Manifest.FileChange) throws {
        try spool.write(Manifest.fileLine(path, change))
        count += 1
    }

    /// Writes the plain manifest to `path`: `manifest`'s volumes, then
    /// the spooled list, read back in 1 MiB pieces.
    func writeManifest(_ manifest: Manifest, to path: String) throws {
        try spool.close()
        let out = try BufferedFileWriter(creating: path)
        try out.write(manifest.renderHead(fileCount: count))
        let input = open(spool.path, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: spool.path, operation: "open", errno: errno) }
        defer { close(input) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try Posix.readFully(input, buffer, size, path: spool.path)
            if n > 0 { try out.write(UnsafeRawBufferPointer(start: buffer, count: n)) }
            if n < size { break }
        }
        try out.close()
        unlink(spool.path)
    }
}
