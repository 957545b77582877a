import Foundation

/// What a front end asks of `bam schedule`: the daily backup on, off, or
/// how it stands.
public struct ScheduleRequest: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable { case on, off, status }

    public var action: Action
    /// The directory that stands for / (an offline system).
    public var root = "/"
    /// With `on`: write the cron file even though the root has no cron daemon to run it.
    public var force = false

    public init(action: Action) { self.action = action }

    public func validate() throws {
        guard root.hasPrefix("/") else { throw BamError.invalid("--root must be an absolute path") }
    }
}

/// How the daily backup stands, as `bam schedule --json` prints it.
public struct ScheduleOutcome: Codable, Sendable, Equatable {
    public var operation = "schedule"
    public var enabled: Bool
    public var method: ScheduleMethod
    public var path: String
    public var strayCronFile: Bool
    public var nothingRunsIt: Bool

    enum CodingKeys: String, CodingKey {
        case operation, enabled, method, path
        case strayCronFile = "stray_cron_file", nothingRunsIt = "nothing_runs_it"
    }

    init(_ status: ScheduleStatus) {
        enabled = status.enabled
        method = status.method
        path = status.path
        strayCronFile = status.strayCronFile
        nothingRunsIt = status.nothingRunsIt
    }

    public var text: String {
        let how = method == .systemd ? "systemd timer \(BackupSchedule.timerUnit)" : "cron file \(BackupSchedule.cronFile)"
        var text = "daily backup: \(enabled ? "on" : "off") (\(how))"
        if strayCronFile { text += "; note: \(BackupSchedule.cronFile) also exists ('bam schedule off' removes it)" }
        return text
    }
}

/// Turns the daily backup on or off (systemd timer, else cron file), or
/// reads how it stands. A schedule nothing would run is reported as a
/// warning.
public struct ScheduleUseCase {
    public let request: ScheduleRequest
    public let progress: ProgressReporter

    public init(_ request: ScheduleRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> ScheduleOutcome {
        try request.validate()
        let schedule = BackupSchedule(root: request.root)
        let status: ScheduleStatus
        switch request.action {
        case .on: status = try schedule.enable(force: request.force)
        case .off: status = try schedule.disable()
        case .status: status = schedule.status()
        }
        if status.enabled && status.nothingRunsIt {
            progress.report(.warning("\(request.root) has no cron daemon: nothing runs \(BackupSchedule.cronFile) until cron is installed"))
        }
        return ScheduleOutcome(status)
    }
}
