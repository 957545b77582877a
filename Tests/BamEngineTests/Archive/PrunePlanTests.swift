import Foundation
import Testing
@testable import BamEngine

/// The retention policy's choice of chains and what a prune would delete,
/// on object lists made up for the purpose (`ChainResolver` groups them as
/// it does a real target's).
@Suite("Prune: policy and plan")
struct PrunePlanTests {
    static let day: Int64 = 86400
    static let t0: Int64 = 1_700_000_000

    /// The objects of one complete set (2 volumes of 100 bytes, a manifest
    /// and signatures of 10), or without its manifest (interrupted).
    static func set(full: Bool, start: Int64? = nil, end: Int64, complete: Bool = true) -> [StoredObject] {
        func name(_ kind: BackupFileName.Kind) -> String {
            BackupFileName(kind: kind, incremental: !full, start: full ? nil : start, end: end).name
        }
        var objects = [
            StoredObject(name: name(.volume(1)), size: 100), StoredObject(name: name(.volume(2)), size: 100),
            StoredObject(name: name(.signatures), size: 10),
        ]
        if complete { objects.append(StoredObject(name: name(.manifest), size: 10)) }
        return objects
    }

    /// Chains starting at the given days after t0, each with `incrementals`
    /// daily incrementals.
    static func chains(fullDays: [Int64], incrementals: Int = 1) -> [StoredObject] {
        var objects: [StoredObject] = []
        for day in fullDays {
            var end = t0 + day * Self.day
            objects += set(full: true, end: end)
            for _ in 0..<incrementals {
                objects += set(full: false, start: end, end: end + Self.day)
                end += Self.day
            }
        }
        return objects
    }

    static func fulls(_ chains: [BackupChain]) -> [Int64] { chains.map { ($0.full.end - t0) / day } }

    @Test("no policy keeps every chain")
    func noPolicy() {
        let plan = PrunePlan(objects: Self.chains(fullDays: [0, 10, 20]), policy: RetentionPolicy(), now: Self.t0 + 100 * Self.day)
        #expect(Self.fulls(plan.kept) == [0, 10, 20] && plan.removed.isEmpty && plan.doomedObjects.isEmpty)
    }

    @Test("keep-full 1 keeps only the newest chain, with its incrementals")
    func keepOne() {
        let plan = PrunePlan(
            objects: Self.chains(fullDays: [0, 10, 20], incrementals: 2), policy: RetentionPolicy(keepFull: 1), now: Self.t0)
        #expect(Self.fulls(plan.kept) == [20])
        #expect(plan.kept.first?.incrementals.count == 2)
        #expect(Self.fulls(plan.removed) == [0, 10])
        let report = plan.report(policy: RetentionPolicy(keepFull: 1), dryRun: true)
        #expect(report.removed.map(\.sets) == [3, 3])
        #expect(report.removedObjects == 24 && report.removedBytes == 2 * 3 * 220)
    }

    @Test("keep-full N keeps the newest N; N beyond the count keeps all")
    func keepN() {
        let objects = Self.chains(fullDays: [0, 10, 20, 30])
        #expect(Self.fulls(PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 2), now: Self.t0).kept) == [20, 30])
        #expect(PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 9), now: Self.t0).removed.isEmpty)
    }

    @Test("keep-within keeps a chain whose incremental is recent though its full is old")
    func keepWithinCountsTheNewestSet() {
        // Chain 0: full on day 0, incrementals to day 30. Chain 1: full on day 35.
        var objects = Self.set(full: true, end: Self.t0)
        var end = Self.t0
        for _ in 0..<30 {
            objects += Self.set(full: false, start: end, end: end + Self.day)
            end += Self.day
        }
        objects += Self.chains(fullDays: [35], incrementals: 0)
        let now = Self.t0 + 40 * Self.day
        let within = RetentionPolicy(keepWithin: .olderThan(count: 2, unit: .week))  // day 26 on
        #expect(Self.fulls(PrunePlan(objects: objects, policy: within, now: now).kept) == [0, 35])
        let shorter = RetentionPolicy(keepWithin: .olderThan(count: 9, unit: .day))  // day 31 on
        #expect(Self.fulls(PrunePlan(objects: objects, policy: shorter, now: now).kept) == [35])
    }

    @Test("keep-within never removes the newest chain, however old")
    func newestAlwaysKept() {
        let objects = Self.chains(fullDays: [0, 10])
        let plan = PrunePlan(objects: objects, policy: RetentionPolicy(keepWithin: .olderThan(count: 1, unit: .day)), now: Self.t0 + 1000 * Self.day)
        #expect(Self.fulls(plan.kept) == [10] && Self.fulls(plan.removed) == [0])
    }

    @Test("with both rules a chain is kept when either keeps it")
    func both() {
        let objects = Self.chains(fullDays: [0, 10, 20, 30], incrementals: 0)
        let now = Self.t0 + 31 * Self.day
        // keep-full 1 keeps day 30; keep-within 15D keeps day 20 (and 30).
        let policy = RetentionPolicy(keepFull: 1, keepWithin: .olderThan(count: 15, unit: .day))
        #expect(Self.fulls(PrunePlan(objects: objects, policy: policy, now: now).kept) == [20, 30])
        let wide = RetentionPolicy(keepFull: 3, keepWithin: .olderThan(count: 2, unit: .day))
        #expect(Self.fulls(PrunePlan(objects: objects, policy: wide, now: now).kept) == [10, 20, 30])
    }

    @Test("incomplete sets older than the oldest chain kept go; newer ones stay")
    func strays() {
        var objects = Self.chains(fullDays: [10, 20, 30], incrementals: 0)
        let oldInterrupted = Self.set(full: true, end: Self.t0 + 5 * Self.day, complete: false)
        let middleInterrupted = Self.set(full: false, start: Self.t0 + 20 * Self.day, end: Self.t0 + 25 * Self.day, complete: false)
        let resumable = Self.set(full: false, start: Self.t0 + 30 * Self.day, end: Self.t0 + 31 * Self.day, complete: false)
        // A complete incremental whose full is gone (orphaned).
        let orphan = Self.set(full: false, start: Self.t0 + 1 * Self.day, end: Self.t0 + 2 * Self.day)
        objects += oldInterrupted + middleInterrupted + resumable + orphan
        let plan = PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 2), now: Self.t0)
        #expect(Self.fulls(plan.kept) == [20, 30])
        #expect(plan.removedStrays.map { ($0.end - Self.t0) / Self.day } == [2, 5])
        #expect(plan.keptStrays.map { ($0.end - Self.t0) / Self.day } == [25, 31])
        let doomed = Set(plan.doomedObjects.map(\.name))
        #expect(doomed == Set((Self.chains(fullDays: [10], incrementals: 0) + oldInterrupted + orphan).map(\.name)))
    }

    @Test("with no chain at all, an interrupted first full backup is kept (the next backup continues it)")
    func onlyStrays() {
        let plan = PrunePlan(objects: Self.set(full: true, end: Self.t0, complete: false), policy: RetentionPolicy(keepFull: 1), now: Self.t0)
        #expect(plan.doomedObjects.isEmpty && plan.keptStrays.count == 1)
    }

    @Test("a chain's manifests go first, newest set first, so an interrupted prune leaves no set that looks whole")
    func deletionOrder() {
        let objects = Self.chains(fullDays: [0, 10], incrementals: 2)
        let doomed = PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 1), now: Self.t0).doomedObjects
        #expect(doomed.count == 12)
        #expect(doomed.prefix(3).map(\.kind) == [.manifest, .manifest, .manifest])
        #expect(doomed.prefix(3).map(\.end) == [Self.t0 + 2 * Self.day, Self.t0 + Self.day, Self.t0])
        #expect(!doomed.dropFirst(3).contains { $0.kind == .manifest })
    }

    @Test("objects that are no backup set (the lock, other files) are never touched")
    func foreignObjects() {
        let objects =
            Self.chains(fullDays: [0, 10]) + [
                StoredObject(name: TargetLock.objectName, size: 100), StoredObject(name: "notes.txt", size: 5),
                StoredObject(name: "duplicity-full.garbage.manifest.gpg", size: 5),
            ]
        let doomed = PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 1), now: Self.t0).doomedObjects.map(\.name)
        #expect(doomed.count == 8)
        #expect(!doomed.contains(TargetLock.objectName) && !doomed.contains("notes.txt"))
    }

    @Test("a hostile listing's sizes give a capped total, not a trap")
    func hostileSizes() {
        let objects = Self.chains(fullDays: [0, 10]).map { StoredObject(name: $0.name, size: $0.name.contains("vol1") ? .max : -5) }
        let report = PrunePlan(objects: objects, policy: RetentionPolicy(keepFull: 1), now: Self.t0).report(policy: RetentionPolicy(keepFull: 1), dryRun: false)
        #expect(report.removedBytes == .max && report.removed.first?.bytes == .max)
        #expect(!report.text.isEmpty)
        // A set's stored size (the restore page's session list) from the
        // same kind of listing: two volumes of Int64.max bytes trapped.
        let huge =
            ["duplicity-full.20261201T000000Z.vol1.difftar.gpg", "duplicity-full.20261201T000000Z.vol2.difftar.gpg"]
            .map { StoredObject(name: $0, size: .max) } + [StoredObject(name: "duplicity-full.20261201T000000Z.manifest.gpg", size: 10)]
        #expect(ChainResolver(objects: huge).chains.first?.full.storedSize == .max)
        #expect(ByteCount.total([5, -3, 7]) == 12)
    }

    @Test("policy values: keep-full from 1, keep-within an age but not now; a request's policy survives JSON")
    func values() throws {
        #expect(throws: BamError.self) { try RetentionPolicy.parseKeepFull("0") }
        #expect(throws: BamError.self) { try RetentionPolicy.parseKeepFull("-1") }
        #expect(try RetentionPolicy.parseKeepFull("7") == 7)
        #expect(throws: BamError.self) { try RetentionPolicy.parseKeepWithin("now") }
        #expect(throws: BamError.self) { try RetentionPolicy.parseKeepWithin("99999999999999999999Y") }
        #expect(try RetentionPolicy.parseKeepWithin("3M") == .olderThan(count: 3, unit: .month))
        var request = PruneRequest(registry: "/var/lib/bam")
        request.policy = RetentionPolicy(keepFull: 2, keepWithin: .olderThan(count: 10, unit: .day))
        request.dryRun = true
        #expect(try jsonRoundTrip(request) == request)
        let json = String(decoding: try JSONEncoder().encode(request.policy), as: UTF8.self)
        #expect(json.contains("\"keep_within\":\"10D\"") && json.contains("\"keep_full\":2"), "\(json)")
        for hostile in [#"{"keep_full":0}"#, #"{"keep_within":"now"}"#, #"{"keep_within":"1x"}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(RetentionPolicy.self, from: Data(hostile.utf8)) }
        }
    }

    @Test("no policy anywhere is refused, options win over conf's")
    func effectivePolicy() throws {
        var request = PruneRequest(registry: "/r")
        var conf = BamConf()
        #expect(throws: BamError.self) { try request.effectivePolicy(conf: conf) }
        conf.retention = RetentionPolicy(keepFull: 5, keepWithin: .olderThan(count: 1, unit: .year))
        #expect(try request.effectivePolicy(conf: conf) == conf.retention)
        request.policy.keepFull = 1
        #expect(try request.effectivePolicy(conf: conf) == RetentionPolicy(keepFull: 1))
    }
}
