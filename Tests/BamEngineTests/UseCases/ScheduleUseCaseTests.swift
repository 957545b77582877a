import Foundation
import Testing
@testable import BamEngine

@Suite("schedule use case")
struct ScheduleUseCaseTests {
    @Test("a request survives the JSON trip")
    func requestRoundTrip() throws {
        var request = ScheduleRequest(action: .on)
        request.root = "/srv/root"
        request.force = true
        #expect(try jsonRoundTrip(request) == request)
    }

    @Test("on, status and off in a root with cron; the outcome's JSON keeps bam schedule's names")
    func onOff() throws {
        let tree = try TestTree("usecase-schedule")
        let root = tree.area("root")
        try tree.file("root/usr/sbin/cron", "", mode: 0o755)
        var request = ScheduleRequest(action: .on)
        request.root = root
        let on = try ScheduleUseCase(request).run()
        #expect(on.enabled && on.method == .cron && Posix.fileExists(root + BackupSchedule.cronFile))
        request.action = .status
        #expect(try ScheduleUseCase(request).run().enabled)
        request.action = .off
        let off = try ScheduleUseCase(request).run()
        #expect(!off.enabled && !Posix.fileExists(root + BackupSchedule.cronFile))
        let json = String(decoding: try JSONEncoder().encode(off), as: UTF8.self)
        #expect(json.contains("\"stray_cron_file\":false") && json.contains("\"operation\":\"schedule\""), "\(json)")
    }

    @Test("errors carry their exit code: 'on' where nothing runs it is a failure (1); with force, a warning")
    func nothingRunsIt() throws {
        let tree = try TestTree("usecase-schedule-none")
        var request = ScheduleRequest(action: .on)
        request.root = tree.area("root")
        do {
            _ = try ScheduleUseCase(request).run()
            Issue.record("'on' without cron succeeded")
        } catch {
            #expect(error is BamError && BamExitStatus.of(error) == .failure)
        }
        request.force = true
        let warnings = WarningRecorder()
        #expect(try ScheduleUseCase(request, progress: warnings).run().nothingRunsIt)
        #expect(warnings.warnings.first?.contains("no cron daemon") == true)
        request.root = "relative"
        #expect(throws: BamError.self) { try ScheduleUseCase(request).run() }
    }
}
