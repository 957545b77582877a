import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of `bam backup` in the middle of its uploads, then a rerun:
/// the same set is finished, volumes already stored are not sent again, no
/// multipart upload is left, and the result restores identically.
@Suite(.serialized, .needs(.s3)) struct S3ResumeTests {
    /// The ETag of each stored volume (a re-upload changes it: every
    /// encryption uses a new session key).
    private func volumeETags(_ box: BamS3Sandbox) throws -> [String: String] {
        var out: [String: String] = [:]
        for object in try box.direct().list() where object.name.contains(".vol") {
            let key = "/\(box.bucket)/" + SigV4Signer.uriEncode(box.prefix + "/" + object.name, keepSlash: true)
            let r = try box.server.request(method: "HEAD", path: key)
            out[object.name] = r.header("ETag") ?? ""
        }
        return out
    }

    @Test func killedBackupResumesWithoutReuploading() throws {
        let box = try BamS3Sandbox("s3-resume", prefix: "resume/host 1")
        try box.initialise()
        // 20 MiB volumes are sent as multipart uploads (8 MiB parts), so
        // the kill is likely to leave one unfinished.
        try box.makeSource(randomMiB: 100, fileMiB: 20)
        let args = ["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "20"]

        let (process, pipe) = try box.process(args)
        let direct = try box.direct()
        let deadline = Date().addingTimeInterval(300)
        var stored: [StoredObject] = []
        while Date() < deadline && process.isRunning {
            stored = try direct.list().filter { $0.name.contains(".vol") }
            if stored.count >= 2 { break }
            usleep(20_000)
        }
        guard process.isRunning else {
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("bam backup ended before it could be killed (\(stored.count) volumes seen): \(output)")
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = pipe.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationReason == .uncaughtSignal)

        let before = try volumeETags(box)
        #expect(before.count >= 2 && before.count < 6, "\(before.keys.sorted())")
        #expect(try !direct.list().contains { $0.name.hasSuffix(".manifest.gpg") }, "killed before the manifest")
        let orphans = try direct.unfinishedUploads().count
        let journal = ArchiveCache(root: box.cache, address: box.address).directory + "/" + BackupResumeJournal.fileName
        #expect(Posix.fileExists(journal))
        #expect(BamS3Sandbox.mode(journal) == 0o600)

        let rerun = try box.bamOK(args + ["--json"])
        #expect(rerun.contains("\"full\""), "\(rerun)")
        #expect(!Posix.fileExists(journal), "the resume file is removed once the set is complete")

        let after = try volumeETags(box)
        for (name, etag) in before {
            #expect(after[name] == etag, "\(name) was uploaded again")
        }
        let names = try direct.list().map(\.name)
        let stamps = Set(names.compactMap { BackupFileName.parse($0)?.end })
        #expect(stamps.count == 1, "one set, the interrupted one continued: \(names.sorted())")
        #expect(names.filter { $0.hasSuffix(".manifest.gpg") }.count == 1, "\(names.sorted())")
        #expect(names.contains { $0.hasPrefix("duplicity-full-signatures.") }, "\(names.sorted())")
        #expect(try direct.unfinishedUploads().isEmpty, "no orphaned multipart uploads (\(orphans) after the kill)")

        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try TreeComparer(expected: box.source, actual: out).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
    }

    /// A file changed between the killed run and the rerun: the volume that
    /// holds it no longer matches its record and is rebuilt, the others are
    /// kept, and the restore gives the new content.
    @Test func changedFileAfterKillIsStoredAgain() throws {
        let box = try BamS3Sandbox("s3-resume-change", prefix: "resume-change")
        try box.initialise()
        try box.makeSource(randomMiB: 12)
        let args = ["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"]
        let (process, pipe) = try box.process(args)
        let direct = try box.direct()
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && process.isRunning {
            if try direct.list().filter({ $0.name.contains(".vol") }).count >= 2 { break }
            usleep(5_000)
        }
        guard process.isRunning else {
            _ = pipe.fileHandleForReading.readDataToEndOfFile()
            Issue.record("bam backup ended before it could be killed")
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = pipe.fileHandleForReading.readDataToEndOfFile()

        // blob 0 is in the first volume: change it (same size).
        var bytes = try Posix.readFile(box.source + "/data/blob 0.bin")
        for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] ^= 0xff }
        try Posix.writeFileAtomically(box.source + "/data/blob 0.bin", bytes, mode: 0o644)

        try box.bamOK(args)
        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try TreeComparer(expected: box.source, actual: out).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
        // The next incremental starts from signatures that match the data.
        try box.tree.file("source/etc/app.conf", "key = after resume\n")
        try box.bamOK(args)
        let out2 = box.tree.area("restored2")
        try box.bamOK(["restore", "--raw-download", out2, "--address", box.address])
        #expect(try TreeComparer(expected: box.source, actual: out2).differences().isEmpty)
    }
}
