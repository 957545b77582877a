import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Real duplicity 0.8 is the oracle for retention: after bam prunes, its
/// `collection-status` lists exactly the chains bam says it kept, and its
/// own `remove-all-but-n-full` leaves the same objects bam leaves, on
/// chains bam wrote and on chains duplicity wrote.
@Suite("Prune: interop with duplicity", .serialized, .needs(.duplicity))
struct DuplicityPruneInteropTests {
    struct ListedChain: Equatable, CustomStringConvertible {
        var start: String
        var end: String
        var sets: Int
        var description: String { "\(start) .. \(end) (\(sets) sets)" }
    }

    /// duplicity's time format (ctime), in UTC as duplicity prints it with TZ=UTC.
    static func ctime(_ t: Int64) -> String {
        var seconds = time_t(t)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The chains `duplicity collection-status` lists, in its order
    /// (secondary chains, oldest first, then the primary one).
    static func duplicityChains(_ h: ArchiveHarness) throws -> (chains: [ListedChain], output: String) {
        let status = try h.duplicity(["collection-status", h.address], environment: ["TZ": "UTC"])
        #expect(status.status == 0, "\(status.output)")
        var chains: [ListedChain] = []
        var start: String?
        var end: String?
        for line in status.output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("Chain start time: ") { start = String(line.dropFirst("Chain start time: ".count)) }
            if line.hasPrefix("Chain end time: ") { end = String(line.dropFirst("Chain end time: ".count)) }
            if line.hasPrefix("Number of contained backup sets: "), let start, let end,
                let sets = Int(line.dropFirst("Number of contained backup sets: ".count))
            {
                chains.append(ListedChain(start: start, end: end, sets: sets))
            }
        }
        return (chains, status.output)
    }

    static func bamKept(_ report: PruneReport) -> [ListedChain] {
        report.kept.map {
            ListedChain(
                start: ctime(BackupTime.parse($0.full) ?? 0), end: ctime(BackupTime.parse($0.last) ?? 0), sets: $0.sets)
        }
    }

    static func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// What duplicity's own `remove-all-but-n-full N --force` leaves of a
    /// copy of the target as it is now.
    static func duplicityLeaves(_ h: ArchiveHarness, keepFull: Int, copy: String) throws -> [String] {
        try runProcess("/bin/cp", ["-a", h.target, copy])
        let r = try h.duplicity(["remove-all-but-n-full", "\(keepFull)", "--force", "file://" + copy])
        #expect(r.status == 0, "\(r.output)")
        return try names(copy)
    }

    static func prune(_ h: ArchiveHarness, keepFull: Int) throws -> PruneReport {
        try ArchivePrune(options: ArchivePruneOptions(address: h.address, cacheRoot: h.cache, policy: RetentionPolicy(keepFull: keepFull))).run()
    }

    @Test("after bam prunes its own chains, duplicity lists exactly the chains bam kept and would have left the same objects")
    func duplicityAgreesOnBamChains() throws {
        let h = try ArchiveHarness("dup-prune-bam")
        let times = try ArchivePruneTests.threeChains(h)
        let expected = try Self.duplicityLeaves(h, keepFull: 2, copy: h.tree.area("dup-copy"))

        let report = try Self.prune(h, keepFull: 2)
        #expect(report.kept.count == 2 && report.removed.count == 1)
        let (chains, output) = try Self.duplicityChains(h)
        #expect(chains == Self.bamKept(report), "\(output)")
        #expect(chains.first?.start == Self.ctime(times[1][0]), "\(output)")
        #expect(output.contains("No orphaned or incomplete backup sets found."), "\(output)")
        #expect(try Self.names(h.target) == expected)

        let restored = try h.duplicity(["restore", h.address, h.tree.area("dup-out")])
        #expect(restored.status == 0, "\(restored.output)")
        try h.expectSame(h.tree.area("state-2"), h.tree.area("dup-out"))
    }

    @Test("a chain duplicity made (full, incremental, then a new full) is pruned as duplicity prunes it")
    func bamPrunesDuplicityChains() throws {
        let h = try ArchiveHarness("dup-prune-dup")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")
        var r = try h.duplicity(["full", src, h.address])
        #expect(r.status == 0, "\(r.output)")
        sleep(1)
        try h.tree.file("src/incremental.txt", "after the full\n")
        r = try h.duplicity(["incremental", src, h.address])
        #expect(r.status == 0, "\(r.output)")
        sleep(1)
        try h.tree.file("src/second-full.txt", "in the second chain\n")
        r = try h.duplicity(["full", src, h.address])
        #expect(r.status == 0, "\(r.output)")
        #expect(try Self.duplicityChains(h).chains.map(\.sets) == [2, 1])
        let expected = try Self.duplicityLeaves(h, keepFull: 1, copy: h.tree.area("dup-copy"))

        let dry = try ArchivePrune(
            options: {
                var o = ArchivePruneOptions(address: h.address, cacheRoot: h.cache, policy: RetentionPolicy(keepFull: 1))
                o.dryRun = true
                return o
            }()
        ).run()
        #expect(dry.removed.map(\.sets) == [2])
        let report = try Self.prune(h, keepFull: 1)
        #expect(report.removed.map(\.sets) == [2] && report.kept.map(\.sets) == [1])
        #expect(try Self.names(h.target) == expected)
        let (chains, output) = try Self.duplicityChains(h)
        #expect(chains == Self.bamKept(report), "\(output)")
        #expect(output.contains("No orphaned or incomplete backup sets found."), "\(output)")

        try h.restore(into: h.tree.area("out"))
        try h.expectSame(src, h.tree.area("out"))
    }
}
