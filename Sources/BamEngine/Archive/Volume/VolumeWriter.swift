#if canImport(Glibc)
import Glibc
#endif

/// Cuts the stream of tar entries into volumes of at most `limit` bytes,
/// splitting only between entries, and remembers each volume's first and
/// last path for the manifest. (Whether to compress is decided per 64 KiB
/// chunk when the volume is encrypted: `CompressedMessageReader`.)
final class VolumeWriter {
    private let directory: String
    private let limit: Int64
    private var output: BufferedFileWriter?
    private var number = 0
    private var start: ([UInt8], Int?)?
    private var end: ([UInt8], Int?)?
    private static let footerRoom: Int64 = 2 * 512 + Int64(TarFormat.recordSize)

    init(directory: String, limit: Int64) {
        self.directory = directory
        self.limit = max(limit, 1 << 20)
    }

    /// Appends one entry (header blocks, data, padding). Returns the volume
    /// that had to be closed first to stay under the limit, if any.
    func append(header: [UInt8], data: UnsafeRawBufferPointer?, path: [UInt8], block: Int?) throws -> PlainVolume? {
        let dataCount = data?.count ?? 0
        let entrySize = Int64(header.count + dataCount + TarHeaderEncoder.padding(dataCount))
        var closed: PlainVolume?
        if let current = output, current.written > 0, current.written + entrySize + VolumeWriter.footerRoom > limit {
            closed = try closeVolume()
        }
        if output == nil {
            number += 1
            output = try BufferedFileWriter(creating: "\(directory)/plain-vol\(number).tar")
            start = (path, block)
        }
        let out = output!
        try out.write(header)
        if let data, dataCount > 0 {
            try out.write(data)
            try out.writeZeros(TarHeaderEncoder.padding(dataCount))
        }
        end = (path, block)
        return closed
    }

    /// Opens an empty first volume when nothing was written: every set has
    /// at least one volume, as duplicity's do.
    func ensureOneVolume() throws {
        if number == 0 && output == nil {
            number = 1
            output = try BufferedFileWriter(creating: "\(directory)/plain-vol1.tar")
            start = ([], nil)
            end = ([], nil)
        }
    }

    /// Closes the current volume (end-of-archive, record padding), if open.
    func closeVolume() throws -> PlainVolume? {
        guard let out = output else { return nil }
        try out.writeZeros(1024)
        let remainder = Int(out.written % Int64(TarFormat.recordSize))
        if remainder != 0 { try out.writeZeros(TarFormat.recordSize - remainder) }
        try out.close()
        output = nil
        return PlainVolume(
            number: number, path: out.path, size: out.written,
            startPath: start!.0, startBlock: start!.1,
            endPath: end!.0, endBlock: end!.1)
    }
}
