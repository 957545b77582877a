import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The lock object a writer keeps on its target: taken exclusively by one
/// of many writers at once (file system and real S3 server), refused with
/// the holder's description, taken over when stale, never when unreadable.
@Suite("Target lock", .serialized)
struct TargetLockTests {
    /// Fast timings for tests: the rules are the same, the waits shorter.
    static var quick: TargetLock.Timing {
        var t = TargetLock.Timing()
        t.refreshInterval = 0.2
        t.settleDelay = 0.3
        return t
    }

    final class Warnings: @unchecked Sendable {
        private let mutex = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { mutex.lock(); lines.append(line); mutex.unlock() }
        var all: [String] { mutex.lock(); defer { mutex.unlock() }; return lines }
    }

    /// A holder of another run, for planting in a target.
    static func holder(
        host: String = "other-host.example", pid: Int32 = 4242, heartbeatAge: Int64 = 0,
        bootID: String = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    ) -> TargetLockHolder {
        let now = Int64(time(nil))
        return TargetLockHolder(
            id: "0123456789abcdef0123456789abcdef", host: host, bootID: bootID, pid: pid,
            operation: "backup", program: "bam 0.1.0", started: now - heartbeatAge - 60,
            heartbeat: now - heartbeatAge)
    }

    /// A pid that was this machine's and no longer is.
    static func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func fileTarget(_ tree: TestTree) throws -> FileBackend {
        let backend = try FileBackend(address: "file://" + tree.area("target"))
        try backend.preflight()
        return backend
    }

    func acquire(_ backend: StorageBackend, _ warnings: Warnings = Warnings(), timing: TargetLock.Timing = quick) throws -> TargetLock {
        try TargetLock.acquire(backend: backend, operation: "backup", program: "bam test", timing: timing, warn: warnings.add)
    }

    // MARK: The holder's description

    @Test("a holder renders and parses back; the lock name is no archive name")
    func holderRoundTrip() throws {
        let mine = TargetLockHolder.current(operation: "backup", program: "bam 0.1.0", now: Int64(time(nil)))
        #expect(TargetLockHolder.parse(mine.render()) == mine)
        #expect(mine.pid == getpid() && mine.host == TargetLockHolder.thisHost())
        #expect(BackupFileName.parse(TargetLock.objectName) == nil, "the chain parser ignores the lock")
        #expect(ChainResolver(objects: [StoredObject(name: TargetLock.objectName, size: 200)]).chains.isEmpty)
    }

    @Test("content bam did not write is no holder: control bytes, missing fields, huge numbers, oversize")
    func hostileHolderContent() throws {
        let good = Self.holder().render()
        let text = String(decoding: good, as: UTF8.self)
        let hostile: [[UInt8]] = [
            Array(text.replacingOccurrences(of: "host=other-host.example", with: "host=evil\u{1b}[2J").utf8),
            Array(text.replacingOccurrences(of: "host=other-host.example", with: "host=évil").utf8),
            Array(text.replacingOccurrences(of: "pid=4242", with: "pid=-1").utf8),
            Array(text.replacingOccurrences(of: "pid=4242", with: "pid=99999999999999999999").utf8),
            Array(text.replacingOccurrences(of: "heartbeat=", with: "heartbeat=99999999999999999999").utf8),
            Array(text.replacingOccurrences(of: "bam target lock 1", with: "duplicity lock").utf8),
            Array(text.replacingOccurrences(of: "id=", with: "xid=").utf8),
            good + Array(repeating: UInt8(ascii: "x"), count: TargetLockHolder.sizeLimit),
            [],
            [0xff, 0xfe, 0x00],
        ]
        for bytes in hostile {
            #expect(TargetLockHolder.parse(bytes) == nil, "\(Posix.display(bytes).prefix(80))")
        }
    }

    // MARK: Taking and releasing

    @Test("a second writer is refused with the holder's host, pid and start; release lets the next one in")
    func secondWriterIsRefused() throws {
        let tree = try TestTree("lock-second")
        let target = try fileTarget(tree)
        let first = try acquire(target)
        let object = try #require(try target.read(name: TargetLock.objectName, limit: 4096))
        #expect(TargetLockHolder.parse(object)?.id == first.holder.id)

        let other = try FileBackend(address: target.address)
        #expect {
            try acquire(other)
        } throws: { error in
            guard case .locked(let message) = error as? BamError else { return false }
            return message.contains("pid \(getpid()) on \(TargetLockHolder.thisHost())")
                && message.contains("since \(BackupTime.display(first.holder.started))") && message.contains(target.address)
        }
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == object, "a refused writer leaves the lock as it was")

        first.release()
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == nil, "release removes the lock")
        let second = try acquire(other)
        second.release()
    }

    @Test("of eight writers racing on one directory, exactly one takes the lock")
    func racingWritersOnFiles() throws {
        let tree = try TestTree("lock-race")
        let target = try fileTarget(tree)
        try expectOneWinner(backends: (0..<8).map { _ in try FileBackend(address: target.address) })
    }

    @Test(
        "of eight writers racing on one S3 prefix, exactly one takes the lock (If-None-Match on moto, read-back on rclone)",
        .needs(.s3), arguments: S3ServerKind.allCases)
    func racingWritersOnS3(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let first = try server.backend(hint: "lock-race")
        #expect(try first.createIsExclusive() == (kind == .moto), "moto honours If-None-Match: *, rclone ignores it")
        let bucket = first.location.bucket
        try expectOneWinner(backends: [first] + (1..<8).map { _ in try server.backend(hint: "", bucket: bucket) })
    }

    @Test("a writer that comes after the lock is taken is refused, on every S3 server", .needs(.s3), arguments: S3ServerKind.allCases)
    func laterWriterOnS3IsRefused(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let first = try server.backend(hint: "lock-later")
        let second = try server.backend(hint: "", bucket: first.location.bucket)
        let lock = try acquire(first)
        defer { lock.release() }
        #expect {
            _ = try acquire(second)
        } throws: { error in
            guard case .locked = error as? BamError else { return false }
            return true
        }
        try lock.confirmHeld()
    }

    @Test("where create is not exclusive, the read-back after settling still lets one writer through")
    func racingWritersWithoutExclusiveCreate() throws {
        let tree = try TestTree("lock-race-plain")
        let target = try fileTarget(tree)
        try expectOneWinner(backends: (0..<6).map { _ in NonExclusiveBackend(try FileBackend(address: target.address)) })
    }

    /// Starts every writer at once; exactly one must hold the lock, the
    /// others fail with `.locked`, and the object names the winner.
    func expectOneWinner(backends: [StorageBackend], timing: TargetLock.Timing = quick) throws {
        let results = Results()
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for backend in backends {
            group.enter()
            Thread {
                start.wait()
                do { results.add(.success(try self.acquire(backend, timing: timing))) } catch { results.add(.failure(error)) }
                group.leave()
            }.start()
        }
        for _ in backends { start.signal() }
        group.wait()
        let winners = results.all.compactMap { try? $0.get() }
        let errors = results.all.compactMap { if case .failure(let e) = $0 { return e } else { return nil } }
        #expect(winners.count == 1, "\(errors)")
        #expect(errors.allSatisfy { if case .locked = $0 as? BamError { return true } else { return false } }, "\(errors)")
        if let winner = winners.first {
            let stored = try backends[0].read(name: TargetLock.objectName, limit: 4096).flatMap(TargetLockHolder.parse)
            #expect(stored?.id == winner.holder.id)
            try winner.confirmHeld()
            winner.release()
        }
        #expect(try backends[0].read(name: TargetLock.objectName, limit: 4096) == nil)
    }

    final class Results: @unchecked Sendable {
        private let mutex = NSLock()
        private var values: [Result<TargetLock, Error>] = []
        func add(_ r: Result<TargetLock, Error>) { mutex.lock(); values.append(r); mutex.unlock() }
        var all: [Result<TargetLock, Error>] { mutex.lock(); defer { mutex.unlock() }; return values }
    }

    // MARK: Stale locks

    @Test("a lock of a dead process of this machine is taken over at once, with a warning naming it")
    func deadProcessOnThisHost() throws {
        let tree = try TestTree("lock-dead")
        let target = try fileTarget(tree)
        let dead = try Self.deadPid()
        let planted = Self.holder(host: TargetLockHolder.thisHost(), pid: dead, bootID: TargetLockHolder.thisBootID())
        try target.write(name: TargetLock.objectName, contents: planted.render())
        let warnings = Warnings()
        let lock = try acquire(target, warnings)
        #expect(
            warnings.all.contains {
                $0.contains("taking over the stale lock") && $0.contains("pid \(dead) on \(TargetLockHolder.thisHost())")
                    && $0.contains("process is gone")
            }, "\(warnings.all)")
        lock.release()
    }

    @Test("a live process of this machine, or a dead pid of another boot, keeps its lock while its heartbeat is fresh")
    func liveOrForeignPidIsNotStale() throws {
        let tree = try TestTree("lock-live")
        let target = try fileTarget(tree)
        // This process's parent is alive; the same dead pid under another
        // boot id may be another machine's (a clone with the same name).
        for planted in [
            Self.holder(host: TargetLockHolder.thisHost(), pid: getppid(), bootID: TargetLockHolder.thisBootID()),
            Self.holder(host: TargetLockHolder.thisHost(), pid: try Self.deadPid()),
        ] {
            try target.write(name: TargetLock.objectName, contents: planted.render())
            #expect(throws: BamError.self) { try acquire(target) }
            #expect(try target.read(name: TargetLock.objectName, limit: 4096) == planted.render())
        }
    }

    @Test("another machine's lock is taken over only once its heartbeat is older than the bound")
    func oldHeartbeatFromAnotherHost() throws {
        let tree = try TestTree("lock-old")
        let target = try fileTarget(tree)
        try target.write(name: TargetLock.objectName, contents: Self.holder(heartbeatAge: 14 * 60).render())
        #expect { try acquire(target) } throws: { error in
            guard case .locked(let message) = error as? BamError else { return false }
            return message.contains("pid 4242 on other-host.example (bam 0.1.0 backup)") && message.contains("14 min ago")
        }

        try target.write(name: TargetLock.objectName, contents: Self.holder(heartbeatAge: 16 * 60).render())
        let warnings = Warnings()
        let lock = try acquire(target, warnings)
        #expect(warnings.all.contains { $0.contains("pid 4242 on other-host.example") && $0.contains("no heartbeat for 16 min") }, "\(warnings.all)")
        #expect(try target.read(name: TargetLock.objectName, limit: 4096).flatMap(TargetLockHolder.parse)?.id == lock.holder.id)
        lock.release()
    }

    @Test("of six writers taking over one stale lock at once, exactly one wins")
    func racingTakeovers() throws {
        let tree = try TestTree("lock-takeover-race")
        let target = try fileTarget(tree)
        try target.write(name: TargetLock.objectName, contents: Self.holder(heartbeatAge: 3600).render())
        try expectOneWinner(backends: (0..<6).map { _ in try FileBackend(address: target.address) })
    }

    @Test("a taker slow to delete the stale lock cannot remove the lock a faster taker made: one winner, no claim left")
    func slowTakerCannotDeleteTheWinnersLock() throws {
        let tree = try TestTree("lock-takeover-slow")
        let target = try fileTarget(tree)
        try target.write(name: TargetLock.objectName, contents: Self.holder(heartbeatAge: 3600).render())
        // No settle wait to hide the slow taker behind: only the claim can.
        var noWait = Self.quick
        noWait.settleDelay = 0
        let slow = SlowDeleteBackend(try FileBackend(address: target.address), delay: 0.5)
        try expectOneWinner(backends: [slow, try FileBackend(address: target.address)], timing: noWait)
        #expect(try target.list().filter { TargetLock.isLockObject($0.name) }.isEmpty)
    }

    @Test("a takeover claim of a live taker refuses; one left by a dead taker is removed through a claim on it")
    func takeoverClaims() throws {
        let tree = try TestTree("lock-claims")
        let target = try fileTarget(tree)
        let stale = Self.holder(heartbeatAge: 3600)
        try target.write(name: TargetLock.objectName, contents: stale.render())
        var claimant = Self.holder(host: "taker.example", pid: 99, heartbeatAge: 5)
        claimant.id = "fedcba9876543210fedcba9876543210"
        try target.write(name: TargetLock.claimName(of: stale), contents: claimant.render())
        #expect { try acquire(target) } throws: { error in
            guard case .locked(let message) = error as? BamError else { return false }
            return message.contains("being taken over") && message.contains("pid 99 on taker.example")
        }
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == stale.render())

        claimant.heartbeat -= 3600
        try target.write(name: TargetLock.claimName(of: stale), contents: claimant.render())
        let lock = try acquire(target)
        #expect(try target.read(name: TargetLock.objectName, limit: 4096).flatMap(TargetLockHolder.parse)?.id == lock.holder.id)
        lock.release()
        #expect(try target.list().filter { TargetLock.isLockObject($0.name) }.isEmpty)
    }

    @Test("a lock bam did not write is never taken over, and its bytes are not echoed")
    func unreadableLockIsRefused() throws {
        let tree = try TestTree("lock-garbage")
        let target = try fileTarget(tree)
        let garbage = Array("\u{1b}]0;owned\u{07}\u{1b}[2J garbage".utf8)
        try target.write(name: TargetLock.objectName, contents: garbage)
        #expect { try acquire(target) } throws: { error in
            guard case .locked(let message) = error as? BamError else { return false }
            return message.contains("did not write") && !message.contains("\u{1b}") && !message.contains("owned")
        }
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == garbage)
    }

    // MARK: While held

    @Test("the holder renews its heartbeat while it runs")
    func heartbeatIsRenewed() throws {
        let tree = try TestTree("lock-heartbeat")
        let target = try fileTarget(tree)
        let lock = try acquire(target)
        let started = lock.holder.heartbeat
        let deadline = Date().addingTimeInterval(10)
        var renewed: Int64 = started
        while renewed == started && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            renewed = try target.read(name: TargetLock.objectName, limit: 4096).flatMap(TargetLockHolder.parse)?.heartbeat ?? started
        }
        #expect(renewed > started, "the heartbeat moves on")
        try lock.confirmHeld()
        lock.release()
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == nil)
    }

    @Test("a lock taken from its holder fails confirmHeld, and the holder's release leaves the new lock")
    func lostLock() throws {
        let tree = try TestTree("lock-lost")
        let target = try fileTarget(tree)
        // No heartbeat during the test: a renewal racing the planted lock
        // would overwrite it (a real taker's read-back settles that race).
        var slow = Self.quick
        slow.refreshInterval = 3600
        let lock = try acquire(target, timing: slow)
        try lock.confirmHeld()
        let thief = Self.holder()
        try target.write(name: TargetLock.objectName, contents: thief.render())
        #expect { try lock.confirmHeld() } throws: { error in
            guard case .locked(let message) = error as? BamError else { return false }
            return message.contains("lost the lock") && message.contains("other-host.example")
        }
        lock.release()
        #expect(try target.read(name: TargetLock.objectName, limit: 4096) == thief.render(), "release leaves another's lock")
    }
}

/// Passes every call to `base`; the fakes below change one behaviour each.
class ForwardingBackend: StorageBackend {
    let base: StorageBackend
    init(_ base: StorageBackend) { self.base = base }
    var address: String { base.address }
    func preflight() throws { try base.preflight() }
    func list() throws -> [StoredObject] { try base.list() }
    func put(name: String, fromFile path: String) throws { try base.put(name: name, fromFile: path) }
    func get(name: String, range: Range<Int64>?, toFile path: String) throws { try base.get(name: name, range: range, toFile: path) }
    func head(name: String) throws -> StoredObject? { try base.head(name: name) }
    func delete(name: String) throws { try base.delete(name: name) }
    func read(name: String, limit: Int) throws -> [UInt8]? { try base.read(name: name, limit: limit) }
    func write(name: String, contents: [UInt8]) throws { try base.write(name: name, contents: contents) }
    func createIsExclusive() throws -> Bool { try base.createIsExclusive() }
    func create(name: String, contents: [UInt8]) throws -> Bool { try base.create(name: name, contents: contents) }
}

/// A backend whose create is a check then a plain write, as on an S3
/// server that ignores `If-None-Match`: the lock's read-back must cope.
final class NonExclusiveBackend: ForwardingBackend {
    override func createIsExclusive() throws -> Bool { false }
    override func create(name: String, contents: [UInt8]) throws -> Bool {
        if try base.head(name: name) != nil { return false }
        Thread.sleep(forTimeInterval: 0.01)  // widen the race the read-back must settle
        try base.write(name: name, contents: contents)
        return true
    }
}

/// A backend whose deletes of the lock stall, as a writer descheduled
/// between finding a lock stale and deleting it.
final class SlowDeleteBackend: ForwardingBackend {
    let delay: TimeInterval
    init(_ base: StorageBackend, delay: TimeInterval) {
        self.delay = delay
        super.init(base)
    }
    override func delete(name: String) throws {
        if name == TargetLock.objectName { Thread.sleep(forTimeInterval: delay) }
        try base.delete(name: name)
    }
}
