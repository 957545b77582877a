import Foundation
import Testing
@testable import BamEngine

/// How the stream of tar entries is cut into volumes.
@Suite("Volume cutting")
struct VolumeWriterTests {
    static let chunk = 64 << 10

    static func text(count: Int) -> [UInt8] {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "server", "backup", "volume", "<div>", "</p>\n"]
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var i = 0
        while out.count < count { out += Array((words[(i * 7 + i / 3) % words.count] + " ").utf8); i += 1 }
        return Array(out.prefix(count))
    }

    /// Writes `parts` as 64 KiB file chunks; returns the closed volumes.
    static func cut(_ parts: [[UInt8]], limit: Int64) throws -> [PlainVolume] {
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-volume-writer-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let writer = VolumeWriter(directory: scratch, limit: limit)
        var volumes: [PlainVolume] = []
        var block = 0
        for part in parts {
            for start in stride(from: 0, to: part.count, by: chunk) {
                let piece = Array(part[start..<min(part.count, start + chunk)])
                var header = TarEntry(
                    name: Array("snapshot/f\(block)".utf8), type: .regular, mode: 0o644, uid: 0, gid: 0,
                    size: Int64(piece.count), mtime: 0)
                header.userName = []
                let closed = try piece.withUnsafeBytes {
                    try writer.append(header: TarHeaderEncoder.encode(header), data: $0, path: Array("f\(block)".utf8), block: nil)
                }
                if let closed { volumes.append(closed) }
                block += 1
            }
        }
        if let last = try writer.closeVolume() { volumes.append(last) }
        return volumes
    }

    @Test("volumes are cut by size only, between entries, whatever the data")
    func cutBySize() throws {
        let text = Self.text(count: 3 << 20)
        let random = S3BackendTests.pseudoRandom(count: 3 << 20, seed: 5)
        let volumes = try Self.cut([text, random, text], limit: 4 << 20)
        #expect(volumes.count == 3)
        #expect(volumes.allSatisfy { $0.size <= 4 << 20 })
    }
}
