import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `bam backup/restore/verify/prune` against a real OpenSSH sshd on
/// 127.0.0.1 over sftp://, and real duplicity 0.8 (paramiko) on the same
/// directory.
@Suite(.serialized, .needs(.sftp, .duplicity)) struct SFTPArchiveCommandTests {
    private func differences(_ a: String, _ b: String) throws -> [String] {
        try TreeComparer(expected: a, actual: b).differences()
    }

    /// Names in the server's directory (hidden ones too).
    private func serverNames(_ box: BamSFTPSandbox) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: box.serverDirectory)) ?? []).sorted()
    }

    @Test func roundTripWithFirstUseHostKeyAndParallelTransfers() throws {
        let box = try BamSFTPSandbox("sftp-cli", directory: "backups/hôte n°1/日本 dir", knowsHost: false)
        try box.initialise()
        try box.makeSource(randomMiB: 4)
        let backup = ["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1", "--s3-parallel-uploads", "3"]

        // The first connection meets an unknown host key: refused, nothing stored.
        let refused = try box.bam(backup)
        #expect(refused.status != 0)
        #expect(refused.output.contains("not known") && refused.output.contains("--accept-host-key"), "\(refused.output)")
        #expect(refused.output.contains("backup not started"), "\(refused.output)")
        #expect(serverNames(box).isEmpty)

        try box.bamOK(backup + ["--accept-host-key"])
        #expect(Posix.fileExists(box.target.knownHosts))
        try box.tree.file("source/etc/app.conf", "key = changed value\n")
        try box.tree.file("source/etc/new.conf", "new\n")
        let inc = try box.bamOK(backup + ["--json"])
        #expect(inc.contains("\"incremental\""), "\(inc)")

        let names = serverNames(box)
        #expect(names.contains { $0.hasPrefix("duplicity-full.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("duplicity-inc.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")
        #expect(names.filter { $0.hasPrefix("duplicity-full.") && $0.contains(".vol") }.count >= 4, "\(names)")
        #expect(!names.contains { $0.hasPrefix(".") || $0 == TargetLock.objectName }, "no temporary or lock left: \(names)")

        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address, "--s3-parallel-uploads", "2"])
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
        try box.bamOK(["verify", "--address", box.address, "--compare", box.source])
    }

    /// `kill -9` in the middle of the uploads, then a rerun: the set is
    /// finished without sending again the volumes already stored, no
    /// partial file stays, and the result restores identically.
    @Test func killedBackupResumesWithoutReuploading() throws {
        let box = try BamSFTPSandbox("sftp-resume", directory: "resume")
        try box.initialise()
        // 20 MiB volumes: large enough that the restore fetches each in
        // parallel ranges (VolumeFetcher), each on its own connection.
        try box.makeSource(randomMiB: 100, fileMiB: 20)
        let args = ["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "20"]
        func volumes() -> [String] { serverNames(box).filter { !$0.hasPrefix(".") && $0.contains(".vol") } }

        let (process, pipe) = try box.process(args)
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && process.isRunning && volumes().count < 2 { usleep(20_000) }
        guard process.isRunning else {
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("bam backup ended before it could be killed: \(output)")
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = pipe.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationReason == .uncaughtSignal)

        // Volumes stored so far, by inode: a re-upload makes a new file.
        var before: [String: UInt64] = [:]
        for name in volumes() {
            var st = stat()
            if stat(box.serverDirectory + "/" + name, &st) == 0 { before[name] = UInt64(st.st_ino) }
        }
        #expect(before.count >= 2 && before.count < 6, "\(before.keys.sorted())")
        #expect(!serverNames(box).contains { $0.hasSuffix(".manifest.gpg") }, "killed before the manifest")

        let rerun = try box.bamOK(args + ["--json"])
        #expect(rerun.contains("\"full\""), "\(rerun)")
        for (name, inode) in before {
            var st = stat()
            #expect(stat(box.serverDirectory + "/" + name, &st) == 0 && UInt64(st.st_ino) == inode, "\(name) was uploaded again")
        }
        let names = serverNames(box)
        #expect(!names.contains { $0.hasPrefix(".") }, "no partial upload left: \(names)")
        let stamps = Set(names.compactMap { BackupFileName.parse($0)?.end })
        #expect(stamps.count == 1, "one set, the interrupted one continued: \(names)")
        #expect(names.filter { $0.hasSuffix(".manifest.gpg") }.count == 1, "\(names)")

        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
    }

    /// `bam prune` on SFTP removes the same whole chains as on file://.
    @Test func pruneRemovesWholeChains() throws {
        let box = try BamSFTPSandbox("sftp-prune", directory: "prune")
        try box.initialise()
        try box.makeSource(randomMiB: 1)
        let backup = ["backup", "--raw-upload", box.source, "--address", box.address]
        var fulls: [String] = []
        for round in 0..<3 {
            try box.tree.file("source/round.txt", "round \(round)\n")
            let full = try CLIJSON.last(try box.bamOK(backup + ["--full-backup", "now", "--json"]))
            fulls.append(full["time"] as? String ?? "")
            try box.tree.file("source/inc.txt", "incremental \(round)\n")
            #expect(try CLIJSON.last(try box.bamOK(backup + ["--json"]))["kind"] as? String == "incremental")
        }
        let before = serverNames(box)
        let prune = ["prune", "--address", box.address, "--keep-full", "2", "--json"]
        let dry = try CLIJSON.last(try box.bamOK(prune + ["--dry-run"]))
        let dryReport = try #require(dry["report"] as? [String: Any])
        #expect((dryReport["removed"] as? [[String: Any]])?.map { $0["full"] as? String } == [fulls[0]])
        #expect(serverNames(box) == before)

        // Another writer holds the directory: refused (14), nothing deleted.
        let lock = try TargetLock.acquire(backend: try box.direct(), operation: "backup", program: "another bam", warn: { _ in })
        let refused = try box.bam(prune)
        lock.release()
        #expect(refused.status == 14, "\(refused.output)")
        #expect(refused.output.contains("another bam"), "\(refused.output)")
        #expect(serverNames(box) == before)

        let done = try CLIJSON.last(try box.bamOK(prune))
        let report = try #require(done["report"] as? [String: Any])
        #expect((report["kept"] as? [[String: Any]])?.map { $0["full"] as? String } == Array(fulls.dropFirst()))
        let left = try box.direct().list()
        #expect(!left.contains { $0.name.contains(fulls[0]) || $0.name == TargetLock.objectName }, "\(left.map(\.name))")
        let resolver = ChainResolver(objects: left)
        #expect(resolver.chains.map { BackupTime.format($0.full.end) } == Array(fulls.dropFirst()))
        #expect(resolver.chains.allSatisfy { $0.incrementals.count == 1 } && resolver.strays.isEmpty)
        #expect(!serverNames(box).contains { $0.hasPrefix(".") })
        try box.bamOK(["verify", "--address", box.address, "--compare", box.source])

        // duplicity, reading the same directory over SFTP, lists exactly the chains bam kept.
        let status = try box.duplicity(["collection-status", box.duplicityAddress], environment: ["TZ": "UTC"])
        #expect(status.status == 0, "\(status.output)")
        let listed = status.output.split(separator: "\n").filter { $0.hasPrefix("Chain start time: ") }
            .map { String($0.dropFirst("Chain start time: ".count)) }
        let kept = (report["kept"] as? [[String: Any]] ?? []).map { DuplicityPruneInteropTests.ctime(BackupTime.parse($0["full"] as? String ?? "") ?? 0) }
        #expect(listed == kept, "\(status.output)")
        #expect(status.output.components(separatedBy: "Number of contained backup sets: 2").count - 1 == 2, "\(status.output)")
    }

    /// Real duplicity (paramiko's sftp) restores the chain bam stored, and
    /// bam restores the chain duplicity stored, on the same server.
    @Test func duplicityAndBamReadEachOthersSFTPChains() throws {
        let box = try BamSFTPSandbox("sftp-dup", directory: "dup dir/été")
        try box.initialise()
        try box.makeSource(randomMiB: 2)
        try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"])
        try box.tree.file("source/etc/app.conf", "key = second value\n")
        try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"])

        let dupOut = box.tree.area("dup-restored")
        let r = try box.duplicity(["restore", box.duplicityAddress, dupOut])
        #expect(r.status == 0, "\(r.output)")
        #expect(try differences(box.source, dupOut).isEmpty)

        // The other direction, in another directory of the same server.
        let other = try BamSFTPSandbox("sftp-dup-in", directory: "dup in")
        try other.initialise()
        try other.makeSource(randomMiB: 2)
        let full = try other.duplicity(["full", "--volsize", "1", other.source, other.duplicityAddress])
        #expect(full.status == 0, "\(full.output)")
        sleep(1)
        try other.tree.file("source/etc/app.conf", "key = changed by the incremental\n")
        let inc = try other.duplicity(["incremental", "--volsize", "1", other.source, other.duplicityAddress])
        #expect(inc.status == 0, "\(inc.output)")
        let bamOut = other.tree.area("bam-restored")
        try other.bamOK(["restore", "--raw-download", bamOut, "--address", other.address])
        let d = try differences(other.source, bamOut)
        #expect(d.isEmpty, "\(d.prefix(10))")
    }
}
