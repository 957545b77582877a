import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Two writers on one `file://` target, as users run them: the built `bam`,
/// a second backup started while the first one is in the middle of its
/// work, planted locks of live and dead holders, and readers beside a lock.
@Suite("bam backup takes the target's lock", .serialized)
struct TargetLockCommandTests {
    func lockPath(_ s: CLISandbox) -> String { s.target + "/" + TargetLock.objectName }

    func plant(_ s: CLISandbox, _ holder: TargetLockHolder) throws {
        try Posix.makeDirectories(s.target)
        try Posix.writeFileAtomically(lockPath(s), holder.render(), mode: 0o600)
    }

    static func holder(host: String, pid: Int32, heartbeatAge: Int64, bootID: String = TargetLockHolder.thisBootID()) -> TargetLockHolder {
        let now = Int64(time(nil))
        return TargetLockHolder(
            id: "fedcba9876543210fedcba9876543210", host: host, bootID: bootID, pid: pid,
            operation: "backup", program: "bam 0.1.0", started: now - heartbeatAge - 30, heartbeat: now - heartbeatAge)
    }

    /// Adds `mebibytes` of random data, so a backup runs long enough to be
    /// caught in the middle.
    func addRandomData(_ s: CLISandbox, mebibytes: Int) throws {
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        try FileManager.default.createDirectory(atPath: s.source + "/bulk", withIntermediateDirectories: true)
        for i in 0..<mebibytes {
            try random.readData(ofLength: 1 << 20).write(to: URL(fileURLWithPath: s.source + "/bulk/part\(i).bin"))
        }
    }

    @Test("a second backup while the first is mid-run exits 14 naming it; the first completes and its set verifies and restores")
    func concurrentRawBackups() throws {
        let s = try CLISandbox("lock-concurrent")
        try s.initialise()
        try s.makeSource()
        try addRandomData(s, mebibytes: 24)
        let backup = ["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "2"]

        let first = try s.start(backup, log: s.path("first.log"))
        var refusals: [CLISandbox.Run] = []
        try PausedChild.whilePaused(first, when: { Posix.fileExists(lockPath(s)) }) {
            let holder = try #require(TargetLockHolder.parse(try Posix.readFile(lockPath(s))))
            #expect(holder.pid == first.processIdentifier)
            refusals.append(try s.bam(backup))
            refusals.append(try s.bam(backup + ["--json"]))
        }
        first.waitUntilExit()
        let firstLog = (try? String(contentsOfFile: s.path("first.log"), encoding: .utf8)) ?? ""
        #expect(first.terminationStatus == 0, "\(firstLog)")

        let holderText = "pid \(first.processIdentifier) on \(TargetLockHolder.thisHost()) (bam 0.1.0 backup) since"
        let text = try #require(refusals.first)
        #expect(text.status == 14, "\(text.stderr)")
        #expect(text.stderr.contains(holderText) && text.stderr.contains(s.address), "\(text.stderr)")
        let json = try CLISandbox.json(try #require(refusals.last).stdout)
        #expect(refusals.last?.status == 14)
        #expect(json["type"] as? String == "exit_error" && json["code"] as? Int == 14)
        #expect((json["message"] as? String)?.contains(holderText) == true, "\(json)")

        #expect(!Posix.fileExists(lockPath(s)), "the lock is released at the end")
        let verify = try s.bam(["verify", "--address", s.address, "--compare", s.source])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let restore = try s.bam(["restore", "--raw-download", s.path("out"), "--address", s.address])
        #expect(restore.status == 0, "\(restore.stderr)")
        let d = try TreeComparer(expected: s.source, actual: s.path("out")).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
    }

    @Test("a lock held by a live process of this machine refuses a backup before anything is stored")
    func liveHolderRefuses() throws {
        let s = try CLISandbox("lock-live")
        try s.initialise()
        try s.makeSource()
        let planted = Self.holder(host: TargetLockHolder.thisHost(), pid: getpid(), heartbeatAge: 3)
        try plant(s, planted)
        let r = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address])
        #expect(r.status == 14, "\(r.stderr)")
        #expect(r.stderr.contains("pid \(getpid()) on \(TargetLockHolder.thisHost())"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.target) == [TargetLock.objectName], "nothing stored")
        #expect(try Posix.readFile(lockPath(s)) == planted.render(), "the holder's lock is untouched")
    }

    @Test("stale locks are taken over with a warning: a dead process of this machine, an old heartbeat of another")
    func staleLocksAreTakenOver() throws {
        let s = try CLISandbox("lock-stale")
        try s.initialise()
        try s.makeSource()
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = gone.processIdentifier

        try plant(s, Self.holder(host: TargetLockHolder.thisHost(), pid: dead, heartbeatAge: 5))
        let first = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stderr.contains("taking over the stale lock") && first.stderr.contains("pid \(dead) on \(TargetLockHolder.thisHost())")
                && first.stderr.contains("process is gone"), "\(first.stderr)")
        #expect(!Posix.fileExists(lockPath(s)))

        try plant(s, Self.holder(host: "far-away.example", pid: 31337, heartbeatAge: 2 * 3600))
        try "changed\n".write(toFile: s.source + "/etc/app.conf", atomically: false, encoding: .utf8)
        let second = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("pid 31337 on far-away.example") && second.stderr.contains("no heartbeat for 120 min"), "\(second.stderr)")
        #expect(!Posix.fileExists(lockPath(s)))
        let verify = try s.bam(["verify", "--address", s.address, "--compare", s.source])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("a whole-system backup takes the lock too: refused while another holds it, through once it is free")
    func systemBackupTakesTheLock() throws {
        let s = try CLISandbox("lock-system")
        let src = s.path("src"), conf = s.path("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        try SystemCommandTests.smallRoot(src, os: "ID=debian\nVERSION_ID=12\n")
        try Posix.writeFileAtomically(s.path("paths.conf"), Array("/etc\n-/etc/passwd*\n-/etc/group*\n".utf8), mode: 0o644)
        try s.initialise()
        let created = try s.bam(["internal", "create-profile", "--root", src, "--dirindex-conf", s.path("paths.conf"), s.registry.path + "/profile"])
        #expect(created.status == 0, "\(created.stderr)")
        try Posix.writeFileAtomically(src + "/etc/app.conf", Array("a = 2\n".utf8), mode: 0o644)
        let backup = ["backup", "--root", src, "--conf-dir", conf, "--address", s.address]

        try plant(s, Self.holder(host: "other-writer.example", pid: 555, heartbeatAge: 30))
        let refused = try s.bam(backup)
        #expect(refused.status == 14, "\(refused.stderr)")
        #expect(refused.stderr.contains("pid 555 on other-writer.example"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.target) == [TargetLock.objectName], "nothing stored")

        try Posix.removeTree(Array(lockPath(s).utf8))
        let stored = try s.bam(backup)
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(!Posix.fileExists(lockPath(s)))
    }

    @Test("restore and verify do not take the lock and read a target that holds one")
    func readersIgnoreTheLock() throws {
        let s = try CLISandbox("lock-readers")
        try s.initialise()
        try s.makeSource()
        #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address]).status == 0)
        let planted = Self.holder(host: "writer.example", pid: 99, heartbeatAge: 1)
        try plant(s, planted)
        let restore = try s.bam(["restore", "--raw-download", s.path("out"), "--address", s.address])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try TreeComparer(expected: s.source, actual: s.path("out")).differences().isEmpty)
        let verify = try s.bam(["verify", "--address", s.address, "--compare", s.source])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(!(restore.stderr + verify.stderr).contains(TargetLock.objectName), "no warning about the lock object")
        #expect(try Posix.readFile(lockPath(s)) == planted.render())
    }
}
