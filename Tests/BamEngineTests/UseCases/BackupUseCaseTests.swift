import Foundation
import Testing
@testable import BamEngine

/// The backup use case as a front end calls it: a typed request (Codable,
/// so a job can carry it), a typed outcome, progress events, and errors
/// that carry their exit code.
@Suite("backup use case")
struct BackupUseCaseTests {
    final class Events: ProgressReporter, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var phases: [String] = []
        private(set) var volumes = 0
        func report(_ event: ProgressEvent) {
            lock.lock(); defer { lock.unlock() }
            switch event {
            case .phase(let name): phases.append(name)
            case .volume: volumes += 1
            default: break
            }
        }
    }

    @Test("a request survives the trip through JSON a job makes")
    func requestRoundTrip() throws {
        var request = BackupRequest(registry: "/var/lib/bam")
        request.root = "/srv/root"
        request.limits = ["/srv", "-mysql:scratch"]
        request.fullBackup = "2W"
        request.simulate = true
        let decoded = try JSONDecoder().decode(BackupRequest.self, from: JSONEncoder().encode(request))
        #expect(decoded == request)
    }

    @Test(
        "requests no backup can run are refused before anything starts",
        arguments: [
            ("raw without address", { (r: inout BackupRequest) in r.rawSource = "/srv" }),
            (
                "raw with limits",
                { (r: inout BackupRequest) in
                    r.rawSource = "/srv"; r.address = "file:///t"; r.limits = ["/etc"]
                }
            ),
            (
                "simulate and dump",
                { (r: inout BackupRequest) in
                    r.simulate = true; r.dumpDirectory = "/tmp/d"
                }
            ),
            ("volume size", { (r: inout BackupRequest) in r.volumeSize = 0 }),
            ("full-backup age", { (r: inout BackupRequest) in r.fullBackup = "99999999999999999Y" }),
            ("limit", { (r: inout BackupRequest) in r.limits = ["nosuch:thing"] }),
        ] as [(String, @Sendable (inout BackupRequest) -> Void)])
    func invalidRequests(_ label: String, _ change: @Sendable (inout BackupRequest) -> Void) throws {
        var request = BackupRequest(registry: "/nonexistent")
        change(&request)
        #expect(throws: BamError.self, "\(label)") { try BackupUseCase(request).run() }
    }

    @Test("a raw backup returns its typed outcome and reports its phases and volumes")
    func rawBackup() throws {
        let tree = try TestTree("usecase-raw")
        let registry = Registry(path: tree.area("registry"))
        _ = try registry.initialise(force: false)
        try tree.file("src/a.txt", "alpha\n")
        try tree.file("src/dir/b.txt", "beta\n")
        var request = BackupRequest(registry: registry.path)
        request.rawSource = tree.area("src")
        request.address = "file://" + tree.area("target")
        request.cacheRoot = tree.area("cache")
        let events = Events()
        let outcome = try BackupUseCase(request, progress: events).run()
        #expect(outcome.mode == .raw)
        #expect(outcome.kind == "full")
        #expect(outcome.address == request.address)
        #expect((outcome.files ?? 0) >= 3)
        #expect(outcome.volumes == 1 && events.volumes == 1)
        #expect(!events.phases.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        #expect(json.contains("\"stored_bytes\"") && json.contains("\"mode\":\"raw\""), "\(json)")
    }

    @Test("a failure carries its exit code: a target another writer holds is 14")
    func lockedTargetIsFourteen() throws {
        let tree = try TestTree("usecase-locked")
        let registry = Registry(path: tree.area("registry"))
        _ = try registry.initialise(force: false)
        try tree.file("src/a.txt", "alpha\n")
        let target = try FileBackend(address: "file://" + tree.area("target"))
        try target.preflight()
        let lock = try TargetLock.acquire(backend: target, operation: "backup", program: "another bam", warn: { _ in })
        defer { lock.release() }
        var request = BackupRequest(registry: registry.path)
        request.rawSource = tree.area("src")
        request.address = target.address
        request.cacheRoot = tree.area("cache")
        do {
            _ = try BackupUseCase(request).run()
            Issue.record("the backup ran on a locked target")
        } catch {
            #expect(BamExitStatus.of(error) == .locked, "\(error)")
        }
    }

    @Test("conf's retention policy prunes after a whole-system backup; the outcome shows it")
    func confRetentionAfterSystemBackup() throws {
        let system = try FakeSystemRoot("usecase-retention")
        _ = try system.registry.initialise(force: false)
        try Posix.writeFileAtomically(system.conf + "/conf", Array("full-backup now\nkeep-full 1\n".utf8), mode: 0o644)
        var request = BackupRequest(registry: system.registry.path)
        request.root = system.root
        request.confDirectory = system.conf
        request.cacheRoot = system.cache
        request.address = "file://" + system.base + "/target"
        let first = try BackupUseCase(request).run()
        #expect(first.prune?.removed.isEmpty == true && first.prune?.kept.count == 1)
        try system.change()
        let second = try BackupUseCase(request).run()
        let prune = try #require(second.prune)
        #expect(prune.removed.map(\.full) == [first.time])
        #expect(prune.kept.map(\.full) == [second.time])
        #expect(second.pruneFailure == nil)
        #expect(second.text(elapsed: 1).contains("removed chain \(first.time ?? "")"), "\(second.text(elapsed: 1))")
        let json = String(decoding: try JSONEncoder().encode(second), as: UTF8.self)
        #expect(json.contains("\"prune\":{") && json.contains("\"keep_full\":1"), "\(json)")
        let chains = ChainResolver(objects: try FileBackend(address: request.address!).list()).chains
        #expect(chains.map { BackupTime.format($0.full.end) } == [second.time])
    }
}
