import Foundation
import Testing

@testable import BamEngine

#if canImport(Glibc)
import Glibc
#endif

/// A backup spools its manifest's file list to disk as the walk finds the
/// files (a million-file list is some 70 MB); the manifest it writes from
/// the spool must be byte for byte the one duplicity's format gives.
@Suite("manifest file list spooled to disk")
struct ManifestFileListTests {
    @Test("the manifest written from the spool is the rendered manifest, byte for byte")
    func sameBytesAsRender() throws {
        let scratch = NSTemporaryDirectory() + "bam-filelist-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var manifest = Manifest(hostname: "web1", localDirectory: Array("/srv".utf8))
        manifest.volumes = [
            VolumeInfo(number: 1, startPath: [], startBlock: nil, endPath: Array("a/b".utf8), endBlock: 3, sha1: String(repeating: "ab", count: 20))
        ]
        let list = try ManifestFileList(path: scratch + "/filelist")
        // Enough lines to cross the spool's 1 MiB buffer and read-back
        // pieces, with names that need quoting.
        for n in 0..<40_000 {
            let path = Array("srv/dir \(n % 97)/file\\\(n)\n\u{e9}".utf8)
            let change: Manifest.FileChange = n % 3 == 0 ? .new : .changed
            manifest.files.append((path, change))
            try list.append(path, change)
        }
        try list.writeManifest(manifest, to: scratch + "/manifest")
        #expect(try Posix.readFile(scratch + "/manifest") == manifest.render())
        #expect(!FileManager.default.fileExists(atPath: scratch + "/filelist"), "the spool is removed")
    }
}
