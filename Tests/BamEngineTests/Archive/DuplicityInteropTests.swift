import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Real duplicity 0.8 is the format oracle, both ways.
@Suite("Interop with duplicity", .serialized, .needs(.duplicity))
struct DuplicityInteropTests {
    static func iso(_ t: Int64) -> String {
        let s = BackupTime.format(t)
        let b = Array(s)
        return "\(String(b[0..<4]))-\(String(b[4..<6]))-\(String(b[6..<8]))T\(String(b[9..<11])):\(String(b[11..<13])):\(String(b[13..<15]))Z"
    }

    func change(_ h: ArchiveHarness, round: Int) throws {
        let src = h.tree.area("src")
        try h.tree.file("src/small.txt", "round \(round)\n", mode: 0o600)
        let fd = open(src + "/big/over-volume.bin", O_WRONLY)
        _ = pwrite(fd, "ROUND\(round)", 6, off_t(500_000 * round))
        close(fd)
        try h.tree.file("src/added/round\(round).txt", String(repeating: "r\(round) ", count: 20_000))
        if round == 1 { try Posix.removeTree(Array((src + "/names").utf8)) }
        if round == 2 { _ = chmod(src + "/modes/suid", 0o755) }
    }

    @Test("duplicity restores, verifies and lists a chain bam wrote")
    func duplicityReadsBam() throws {
        let h = try ArchiveHarness("dup-reads")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")
        try h.backup(src)
        try change(h, round: 1)
        let middle = try h.backup(src)
        try runProcess("/bin/cp", ["-a", src, h.tree.area("state-middle")])
        try change(h, round: 2)
        try h.backup(src)

        let latest = try h.duplicity(["restore", h.address, h.tree.area("dup-latest")])
        #expect(latest.status == 0, "\(latest.output)")
        try h.expectSame(src, h.tree.area("dup-latest"))

        let atMiddle = try h.duplicity(["restore", "--time", Self.iso(middle.time), h.address, h.tree.area("dup-middle")])
        #expect(atMiddle.status == 0, "\(atMiddle.output)")
        try h.expectSame(h.tree.area("state-middle"), h.tree.area("dup-middle"))

        let verify = try h.duplicity(["verify", "--compare-data", h.address, src])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("0 differences found"), "\(verify.output)")

        let status = try h.duplicity(["collection-status", h.address])
        #expect(status.status == 0)
        #expect(status.output.contains("Number of contained backup sets: 3"), "\(status.output)")
        #expect(status.output.contains("No orphaned or incomplete backup sets found."), "\(status.output)")

        let one = try h.duplicity(["restore", "--file-to-restore", "big/over-volume.bin", h.address, h.tree.area("dup-one")])
        #expect(one.status == 0, "\(one.output)")
        #expect(FileManager.default.contentsEqual(atPath: src + "/big/over-volume.bin", andPath: h.tree.area("dup-one")))
    }

    @Test("duplicity lists and restores a target that holds bam's lock object, and bam does too")
    func duplicityIgnoresTheLock() throws {
        let h = try ArchiveHarness("dup-lock")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")
        try h.backup(src)
        // As while another bam writes to the target.
        let lock = try TargetLock.acquire(
            backend: try FileBackend(address: h.address), operation: "backup",
            program: "bam test", warn: { _ in })
        defer { lock.release() }
        #expect(Posix.fileExists(h.target + "/" + TargetLock.objectName))

        let status = try h.duplicity(["collection-status", h.address])
        #expect(status.status == 0, "\(status.output)")
        #expect(status.output.contains("Number of contained backup sets: 1"), "\(status.output)")
        #expect(status.output.contains("No orphaned or incomplete backup sets found."), "\(status.output)")
        let restored = try h.duplicity(["restore", h.address, h.tree.area("dup-out")])
        #expect(restored.status == 0, "\(restored.output)")
        try h.expectSame(src, h.tree.area("dup-out"))

        try h.restore(into: h.tree.area("bam-out"))
        try h.expectSame(src, h.tree.area("bam-out"))
    }

    @Test("bam restores a chain duplicity wrote")
    func bamReadsDuplicity() throws {
        let h = try ArchiveHarness("bam-reads")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")
        var r = try h.duplicity(["full", "--volsize", "1", src, h.address])
        #expect(r.status == 0, "\(r.output)")
        try runProcess("/bin/cp", ["-a", src, h.tree.area("state-full")])
        let fullTime = Int64(time(nil))
        sleep(1)
        try change(h, round: 1)
        r = try h.duplicity(["incremental", "--volsize", "1", src, h.address])
        #expect(r.status == 0, "\(r.output)")
        sleep(1)
        try change(h, round: 2)
        r = try h.duplicity(["incremental", "--volsize", "1", src, h.address])
        #expect(r.status == 0, "\(r.output)")

        try h.restore(into: h.tree.area("bam-latest"))
        try h.expectSame(src, h.tree.area("bam-latest"))
        try h.restore(into: h.tree.area("bam-full"), time: fullTime)
        try h.expectSame(h.tree.area("state-full"), h.tree.area("bam-full"))
    }

    @Test("each continues a chain the other started")
    func mixedChains() throws {
        let h = try ArchiveHarness("mixed")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")

        // bam starts, duplicity continues, bam continues again.
        try h.backup(src)
        try change(h, round: 1)
        sleep(1)
        var r = try h.duplicity(["incremental", src, h.address])
        #expect(r.status == 0, "duplicity must accept bam's manifest (hostname, directory): \(r.output)")
        try change(h, round: 2)
        let third = try h.backup(src)
        #expect(third.incremental)
        try h.restore(into: h.tree.area("bam-out"))
        try h.expectSame(src, h.tree.area("bam-out"))
        r = try h.duplicity(["restore", h.address, h.tree.area("dup-out")])
        #expect(r.status == 0, "\(r.output)")
        try h.expectSame(src, h.tree.area("dup-out"))

        // duplicity starts a chain (new target), bam continues it.
        let h2 = try ArchiveHarness("mixed2")
        try populateEveryKind(h2.tree, area: "src")
        let src2 = h2.tree.area("src")
        r = try h2.duplicity(["full", src2, h2.address])
        #expect(r.status == 0, "\(r.output)")
        try h2.tree.file("src/small.txt", "bam continues\n")
        try h2.tree.file("src/more/file.txt", "more")
        sleep(1)
        let continued = try h2.backup(src2)
        #expect(continued.incremental, "bam must continue duplicity's chain")
        r = try h2.duplicity(["restore", h2.address, h2.tree.area("dup-out")])
        #expect(r.status == 0, "\(r.output)")
        try h2.expectSame(src2, h2.tree.area("dup-out"))
    }
}
