import Foundation
import Testing
@testable import BamEngine

/// `list` and `status`, which read the registry and (when linked) the Hub.
@Suite("list and status use cases")
struct HubStateUseCaseTests {
    @Test("requests survive the JSON trip")
    func requestRoundTrip() throws {
        var list = ListRequest(registry: "/r")
        list.hubURL = "https://hub.example"
        #expect(try jsonRoundTrip(list) == list)
        var status = StatusRequest(registry: "/r")
        status.hubURL = "https://hub.example"
        #expect(try jsonRoundTrip(status) == status)
    }

    /// A registry linked to a Hub that names no URL of its own (so the
    /// request's `hubURL` is the one used), with this server's record cached.
    static func linked(_ tree: TestTree) throws -> Registry {
        let registry = Registry(path: tree.area("registry"))
        _ = try registry.initialise(force: false)
        try Posix.writeFileAtomically(registry.subkeyPath, Array("SUBKEY\n".utf8), mode: 0o600)
        var registration = HubBackupRegistration(address: "s3://s3.example/bucket/7", updated: "2026-11-27 10:00:00")
        registration.backupID = "7"
        registration.size = 3 << 20
        try registration.save(in: registry)
        return registry
    }

    @Test("list: the request's Hub, unreachable, gives this server's cached record and a warning naming it")
    func listOffline() throws {
        let tree = try TestTree("usecase-list")
        var request = ListRequest(registry: try Self.linked(tree).path)
        request.hubURL = unreachableHubURL
        let warnings = WarningRecorder()
        let outcome = try ListUseCase(request, progress: warnings).run()
        #expect(outcome.records.map(\.backupID) == ["7"])
        #expect(warnings.warnings.first?.contains("127.0.0.1:1") == true, "\(warnings.warnings)")
        let json = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        #expect(json.contains("\"backup_id\":\"7\"") && json.contains("\"inprogress\":false") && !json.contains("\"key\""), "\(json)")
    }

    @Test("list: a registry not linked to a Hub is a failure (exit 1)")
    func listNotLinked() throws {
        let tree = try TestTree("usecase-list-solo")
        let registry = Registry(path: tree.area("registry"))
        _ = try registry.initialise(force: false)
        do {
            _ = try ListUseCase(ListRequest(registry: registry.path)).run()
            Issue.record("listed a solo registry's Hub records")
        } catch {
            #expect(error is BamError && BamExitStatus.of(error) == .failure)
        }
    }

    @Test("status: not initialised (11), no backup (10), backed up (0), each with bam status's text")
    func states() throws {
        let tree = try TestTree("usecase-status")
        let registry = Registry(path: tree.area("registry"))
        let none = try StatusUseCase(StatusRequest(registry: registry.path)).run()
        #expect(none.exitStatus == .notInitialised && none.hubLinked == nil)
        #expect(none.text(short: true) == "bam: NOT INITIALISED")
        _ = try registry.initialise(force: false)
        let fresh = try StatusUseCase(StatusRequest(registry: registry.path)).run()
        #expect(fresh.exitStatus == .noBackup && fresh.hubLinked == false)
        try HubBackupRegistration(address: "file:///backups", updated: "2026-11-27 10:00:00").save(in: registry)
        let done = try StatusUseCase(StatusRequest(registry: registry.path)).run()
        #expect(done.exitStatus == .backedUp)
        #expect(done.text(short: false) == "bam: Last backup succeeded at 2026-11-27 10:00:00 UTC\n  Address: file:///backups")
        let json = String(decoding: try JSONEncoder().encode(done), as: UTF8.self)
        #expect(json.contains("\"status\":\"ok\"") && json.contains("\"last_backup\"") && !json.contains("exit"), "\(json)")
    }

    @Test("status, linked: an unreachable Hub shows the cached record with a warning")
    func statusOffline() throws {
        let tree = try TestTree("usecase-status-hub")
        var request = StatusRequest(registry: try Self.linked(tree).path)
        request.hubURL = unreachableHubURL
        let warnings = WarningRecorder()
        let outcome = try StatusUseCase(request, progress: warnings).run()
        #expect(outcome.exitStatus == .backedUp && outcome.backupID == "7" && outcome.hubLinked == true)
        #expect(outcome.text(short: false).contains("Backup ID #7, Size: 3.00 MB"))
        #expect(!warnings.warnings.isEmpty)
    }
}
