import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Pruning real chains bam wrote to a file:// target: what goes, what
/// stays restorable, the local cache, dry runs, the lock, and the prune a
/// backup runs itself.
@Suite("Prune: file:// targets", .serialized)
struct ArchivePruneTests {
    /// Three chains of a full and an incremental each; returns the times
    /// of their sets, oldest first, with a copy of the source at each
    /// chain's end.
    static func threeChains(_ h: ArchiveHarness) throws -> [[Int64]] {
        let src = h.tree.area("src")
        var times: [[Int64]] = []
        for round in 0..<3 {
            try h.tree.file("src/round.txt", "round \(round)\n")
            try h.tree.file("src/data/\(round).bin", String(repeating: "r\(round)", count: 50_000))
            let full = try h.backup(src, full: true)
            try h.tree.file("src/inc-\(round).txt", "incremental \(round)\n")
            let inc = try h.backup(src)
            #expect(!full.incremental && inc.incremental)
            try runProcess("/bin/cp", ["-a", src, h.tree.area("state-\(round)")])
            times.append([full.time, inc.time])
        }
        return times
    }

    static func prune(_ h: ArchiveHarness, _ policy: RetentionPolicy, dryRun: Bool = false, now: Int64? = nil) throws -> PruneReport {
        var options = ArchivePruneOptions(address: h.address, cacheRoot: h.cache, policy: policy)
        options.dryRun = dryRun
        options.now = now
        return try ArchivePrune(options: options).run()
    }

    /// name -> size of everything in the target directory.
    static func snapshot(_ directory: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            out[name] = (try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? -1
        }
        return out
    }

    static func cacheDirectory(_ h: ArchiveHarness) -> String { ArchiveCache(root: h.cache, address: h.address).directory }

    @Test("keep-full 2 removes the oldest whole chain; the others restore as before and the cache follows")
    func keepTwo() throws {
        let h = try ArchiveHarness("prune-keep2")
        let times = try Self.threeChains(h)
        let oldest = BackupTime.format(times[0][0])
        #expect(try Self.snapshot(Self.cacheDirectory(h)).keys.contains { $0.contains(oldest) }, "the backups cached the oldest chain")

        let report = try Self.prune(h, RetentionPolicy(keepFull: 2))
        #expect(report.removed.map(\.full) == [oldest])
        #expect(report.removed.first?.sets == 2)
        #expect(report.kept.map(\.full) == [BackupTime.format(times[1][0]), BackupTime.format(times[2][0])])
        let removedObjects = report.removed.first?.objects ?? 0
        #expect(removedObjects >= 6, "two manifests, two signatures, at least two volumes")

        let left = try Self.snapshot(h.target)
        #expect(!left.keys.contains { $0.contains(oldest) }, "\(left.keys.sorted())")
        let resolver = ChainResolver(objects: try FileBackend(address: h.address).list())
        #expect(resolver.chains.map { $0.sets.map(\.end) } == Array(times.dropFirst()))
        #expect(resolver.strays.isEmpty)
        #expect(!left.keys.contains(TargetLock.objectName), "the lock is released")
        #expect(report.removedBytes > 0)

        let cached = try Self.snapshot(Self.cacheDirectory(h)).keys
        #expect(!cached.contains { $0.contains(oldest) }, "\(cached.sorted())")
        #expect(cached.contains { $0.contains(BackupTime.format(times[2][1])) })

        try h.restore(into: h.tree.area("out-latest"))
        try h.expectSame(h.tree.area("state-2"), h.tree.area("out-latest"))
        try h.restore(into: h.tree.area("out-middle"), time: times[1][1])
        try h.expectSame(h.tree.area("state-1"), h.tree.area("out-middle"))
        // An incremental on the newest chain still works after the prune.
        try h.tree.file("src/after.txt", "after\n")
        #expect(try h.backup(h.tree.area("src")).incremental)
    }

    @Test("keep-full 1 keeps only the newest chain; pruning again removes nothing")
    func keepOne() throws {
        let h = try ArchiveHarness("prune-keep1")
        let times = try Self.threeChains(h)
        let report = try Self.prune(h, RetentionPolicy(keepFull: 1))
        #expect(report.removed.count == 2 && report.kept.map(\.full) == [BackupTime.format(times[2][0])])
        let again = try Self.prune(h, RetentionPolicy(keepFull: 1))
        #expect(again.removed.isEmpty && again.removedObjects == 0 && again.kept.count == 1)
    }

    @Test("keep-within counts from the chain's newest set, and never removes the newest chain")
    func keepWithin() throws {
        let h = try ArchiveHarness("prune-within")
        let times = try Self.threeChains(h)
        // As if a day had passed since the middle chain's incremental ended.
        let dayLater = times[1][1] + 86400
        let report = try Self.prune(h, RetentionPolicy(keepWithin: .olderThan(count: 1, unit: .day)), now: dayLater)
        #expect(report.kept.map(\.full) == [BackupTime.format(times[1][0]), BackupTime.format(times[2][0])])
        let yearLater = try Self.prune(h, RetentionPolicy(keepWithin: .olderThan(count: 1, unit: .day)), now: times[2][1] + 365 * 86400)
        #expect(yearLater.kept.map(\.full) == [BackupTime.format(times[2][0])])
        try h.restore(into: h.tree.area("out"))
        try h.expectSame(h.tree.area("state-2"), h.tree.area("out"))
    }

    @Test("a dry run lists what would go and changes nothing, on the target or in the cache")
    func dryRun() throws {
        let h = try ArchiveHarness("prune-dry")
        _ = try Self.threeChains(h)
        let target = try Self.snapshot(h.target)
        let cache = try Self.snapshot(Self.cacheDirectory(h))
        let dry = try Self.prune(h, RetentionPolicy(keepFull: 1), dryRun: true)
        #expect(dry.dryRun && dry.removed.count == 2)
        #expect(dry.text.contains("would remove") && dry.text.contains("dry run"), "\(dry.text)")
        #expect(try Self.snapshot(h.target) == target)
        #expect(try Self.snapshot(Self.cacheDirectory(h)) == cache)
        let real = try Self.prune(h, RetentionPolicy(keepFull: 1))
        #expect(real.removed == dry.removed && real.kept == dry.kept, "the dry run said what the real one did")
    }

    @Test("a dry run, or a prune with nothing to remove, writes nothing: not even a directory for a mistyped address")
    func leavesNoTrace() throws {
        let h = try ArchiveHarness("prune-no-trace")
        for dryRun in [true, false] {
            let report = try Self.prune(h, RetentionPolicy(keepFull: 1), dryRun: dryRun)
            #expect(report.removed.isEmpty && report.kept.isEmpty)
            #expect(!Posix.fileExists(h.target), "dry run \(dryRun)")
        }
        try h.tree.file("src/a.txt", "a\n")
        try h.backup(h.tree.area("src"))
        let before = try Self.snapshot(h.target)
        // The lock is not even taken: a writer holding it does not matter.
        let lock = try TargetLock.acquire(backend: try FileBackend(address: h.address), operation: "backup", program: "another bam", warn: { _ in })
        defer { lock.release() }
        let afterLock = try Self.snapshot(h.target)
        #expect(try Self.prune(h, RetentionPolicy(keepFull: 1)).kept.count == 1)
        #expect(try Self.snapshot(h.target) == afterLock && afterLock.count == before.count + 1)
    }

    @Test("a target another writer holds is refused (exit 14) and nothing is deleted")
    func locked() throws {
        let h = try ArchiveHarness("prune-locked")
        _ = try Self.threeChains(h)
        let before = try Self.snapshot(h.target)
        let lock = try TargetLock.acquire(backend: try FileBackend(address: h.address), operation: "backup", program: "another bam", warn: { _ in })
        defer { lock.release() }
        let afterLock = try Self.snapshot(h.target)
        do {
            _ = try Self.prune(h, RetentionPolicy(keepFull: 1))
            Issue.record("pruned a locked target")
        } catch {
            #expect(BamExitStatus.of(error) == .locked, "\(error)")
            #expect("\(error)".contains("another bam"), "\(error)")
        }
        #expect(try Self.snapshot(h.target) == afterLock)
        #expect(afterLock.count == before.count + 1, "only the other writer's lock was added")
    }

    @Test("an interrupted set older than the oldest kept chain goes; a newer one (resumable) stays")
    func strays() throws {
        let h = try ArchiveHarness("prune-strays")
        let times = try Self.threeChains(h)
        // Leftovers of interrupted runs: a full between chains 0 and 1,
        // an incremental after the newest chain.
        let old = BackupFileName(kind: .volume(1), incremental: false, start: nil, end: times[0][1])
        let newer = BackupFileName(kind: .volume(1), incremental: true, start: times[2][1], end: times[2][1] + 5)
        for name in [old, newer] { try h.tree.file("target/" + name.name, "partial") }
        let report = try Self.prune(h, RetentionPolicy(keepFull: 2))
        #expect(report.removedIncomplete.map(\.time) == [BackupTime.format(old.end)])
        #expect(report.keptIncomplete.map(\.time) == [BackupTime.format(newer.end)])
        #expect(!Posix.fileExists(h.target + "/" + old.name))
        #expect(Posix.fileExists(h.target + "/" + newer.name))
    }

    @Test("a backup applies its retention policy under its own lock and reports it")
    func afterBackup() throws {
        let h = try ArchiveHarness("prune-after-backup")
        let src = h.tree.area("src")
        try h.tree.file("src/a.txt", "a\n")
        var options = ArchiveBackupOptions(source: src, address: h.address, cacheRoot: h.cache)
        options.fullBackup = .always
        options.retention = RetentionPolicy(keepFull: 2)
        var results: [ArchiveBackupResult] = []
        for round in 0..<4 {
            try h.tree.file("src/round.txt", "\(round)\n")
            results.append(try ArchiveBackup(options: options, passphrase: Array(h.passphrase.utf8)).run())
        }
        #expect(results.map { $0.prune?.removed.count } == [0, 0, 1, 1])
        #expect(results.allSatisfy { $0.pruneFailure == nil })
        let chains = ChainResolver(objects: try FileBackend(address: h.address).list()).chains
        #expect(chains.map(\.full.end) == results.suffix(2).map(\.time))
        #expect(!Posix.fileExists(h.target + "/" + TargetLock.objectName))
        // Without a policy nothing is removed (today's behaviour).
        options.retention = RetentionPolicy()
        let plain = try ArchiveBackup(options: options, passphrase: Array(h.passphrase.utf8)).run()
        #expect(plain.prune == nil)
        #expect(ChainResolver(objects: try FileBackend(address: h.address).list()).chains.count == 3)
    }

    @Test("a prune that fails after a stored backup is a warning; the backup stands")
    func failureAfterBackupIsAWarning() throws {
        let h = try ArchiveHarness("prune-fails")
        let src = h.tree.area("src")
        try h.tree.file("src/a.txt", "a\n")
        let first = try h.backup(src, full: true)
        // The cache entry of the chain to be removed cannot be deleted.
        let manifest = BackupFileName(kind: .manifest, incremental: false, start: nil, end: first.time)
        let cached = Self.cacheDirectory(h) + "/" + manifest.plainCacheName
        unlink(cached)
        try Posix.makeDirectories(cached + "/blocker", mode: 0o700)
        var options = ArchiveBackupOptions(source: src, address: h.address, cacheRoot: h.cache)
        options.fullBackup = .always
        options.retention = RetentionPolicy(keepFull: 1)
        let warnings = WarningLog()
        let second = try ArchiveBackup(options: options, passphrase: Array(h.passphrase.utf8), progress: warnings).run()
        let failure = try #require(second.pruneFailure)
        #expect(failure.contains("pruning old chains failed"), "\(failure)")
        #expect(second.statistics.warnings.contains(failure))
        #expect(warnings.messages.contains(failure))
        try h.restore(into: h.tree.area("out"))
        try h.expectSame(src, h.tree.area("out"))
    }

    final class WarningLog: ProgressReporter, @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var messages: [String] { lock.withLock { stored } }
        func report(_ event: ProgressEvent) {
            if case .warning(let message) = event { lock.withLock { stored.append(message) } }
        }
    }
}
