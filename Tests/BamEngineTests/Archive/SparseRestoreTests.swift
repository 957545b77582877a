import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A sparse file comes back sparse: whole 4 KiB blocks of zeros are left
/// as holes, the bytes read back are the same.
@Suite("sparse restore")
struct SparseRestoreTests {
    /// A 40 MiB file with data at the start, in the middle and (for
    /// `dataAtEnd`) at the end; the rest is holes.
    static func makeSparse(_ path: String, dataAtEnd: Bool) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let data = [UInt8](repeating: 0x5A, count: 10_000)
        let offsets: [Int64] = [0, 20 << 20] + (dataAtEnd ? [(40 << 20) - 10_000] : [])
        for offset in offsets {
            _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        }
        #expect(ftruncate(fd, 40 << 20) == 0)
    }

    static func allocated(_ path: String) -> Int64 {
        var st = stat()
        return lstat(path, &st) == 0 ? Int64(st.st_blocks) * 512 : -1
    }

    @Test("a file of holes with data at the start, middle and end, or ending in a hole, restores sparse and identical", arguments: [true, false])
    func sparse(dataAtEnd: Bool) throws {
        let h = try ArchiveHarness("sparse-\(dataAtEnd)")
        let source = h.tree.area("src")
        try Posix.makeDirectories(source, mode: 0o755)
        try Self.makeSparse(source + "/disk.img", dataAtEnd: dataAtEnd)
        try h.backup(source, volumeSize: 8 << 20)
        let out = h.tree.area("out")
        try h.restore(into: out)
        try h.expectSame(source, out)
        var st = stat()
        #expect(lstat(out + "/disk.img", &st) == 0 && st.st_size == 40 << 20)
        // Data is 20-30 KB; allow the file system its metadata.
        #expect(Self.allocated(out + "/disk.img") < 1 << 20, "\(Self.allocated(out + "/disk.img")) bytes allocated")
    }

    @Test("the writer leaves only whole aligned zero blocks as holes, across calls")
    func writerBlocks() throws {
        let tree = try TestTree("sparse-writer")
        let path = tree.area("f")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let writer = SparseFileWriter(fd: fd, display: path)
        // 100 bytes of data, then zeros crossing block boundaries in odd
        // pieces, then a byte, then zeros to the end.
        var expected: [UInt8] = []
        for piece in [
            [UInt8](repeating: 1, count: 100), [UInt8](repeating: 0, count: 10_000), [UInt8](repeating: 0, count: 7), [2], [UInt8](repeating: 0, count: 9000),
        ] {
            try piece.withUnsafeBytes { try writer.write($0) }
            expected += piece
        }
        try writer.finish()
        #expect(writer.position == Int64(expected.count))
        #expect(try Posix.readFile(path) == expected)
    }
}
