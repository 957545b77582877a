import Foundation

/// What a front end asks of `bam status`: whether this server is
/// initialised and when it was last backed up.
public struct StatusRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The Hub when the registry names none (nil: `$BAM_HUB_URL`).
    public var hubURL: String?

    public init(registry: String) { self.registry = registry }
}

/// The state, as `bam status --json` prints it; `exitStatus` is the code
/// `bam status` reports it with.
public struct StatusOutcome: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case ok
        case noBackup = "no-backup"
        case notInitialised = "not-initialised"
    }

    public var status: State
    public var registry: String
    /// Absent when not initialised.
    public var hubLinked: Bool?
    public var lastBackup: String?
    public var address: String?
    public var backupID: String?
    public var size: Int64?

    enum CodingKeys: String, CodingKey {
        case status, registry, address, size
        case hubLinked = "hub_linked", lastBackup = "last_backup", backupID = "backup_id"
    }

    public var exitStatus: StatusExitStatus {
        switch status {
        case .ok: return .backedUp
        case .noBackup: return .noBackup
        case .notInitialised: return .notInitialised
        }
    }

    /// The report a person reads; `short`: its first line only.
    public func text(short: Bool) -> String {
        switch status {
        case .notInitialised:
            return short
                ? "bam: NOT INITIALISED"
                : "bam: NOT INITIALISED\n\n  To initialise, link this server to a Hub account with 'bam init APIKEY',\n  or run 'bam init --solo' to back up without a Hub."
        case .noBackup:
            return "bam: No backups have yet been created"
        case .ok:
            var text = "bam: Last backup succeeded at \(lastBackup ?? "") UTC"
            if !short {
                var details: [String] = []
                if let backupID { details.append("Backup ID #\(backupID)") }
                if let size { details.append("Size: \(ByteCount.megabytes(size)) MB") }
                details.append("Address: \(address ?? "")")
                text += "\n  " + details.joined(separator: ", ")
            }
            return text
        }
    }
}

/// Reads the registry's state; on a server linked to a Hub, the record is
/// refreshed from the Hub (the cached one, with a warning, when it is
/// unreachable).
public struct StatusUseCase {
    public let request: StatusRequest
    public let progress: ProgressReporter

    public init(_ request: StatusRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> StatusOutcome {
        let registry = Registry(path: request.registry)
        guard registry.isInitialised else { return StatusOutcome(status: .notInitialised, registry: registry.path) }
        let linked = registry.isHubLinked
        let registration =
            linked
            ? try HubSession(registry: registry, hubURL: request.hubURL, warn: { progress.report(.warning($0)) }).currentRegistration()
            : try HubBackupRegistration.load(registry)
        var outcome = StatusOutcome(status: .noBackup, registry: registry.path, hubLinked: linked)
        guard let registration, let updated = registration.updated else {
            outcome.address = registration?.address
            return outcome
        }
        outcome.status = .ok
        outcome.lastBackup = updated
        outcome.address = registration.address
        outcome.backupID = registration.backupID
        outcome.size = registration.size
        return outcome
    }
}
