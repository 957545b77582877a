import BamEngine
import Foundation

/// What the index shows, read from the engine in-process: registry,
/// target, rollback store, and through its use cases the daily timer and
/// the Hub's backups.
struct SystemState {
    var initialised = false
    var linkedToHub = false
    var address: String?
    var lastBackup: String?
    var lastBackupProblem: String?
    var rollbackExists = false
    var schedule: Bool?
    var scheduleProblem: String?
    var hubBackups: [[String: Any]] = []
    var hubProblem: String?

    static func read(_ env: PageEnvironment, withHub: Bool) -> SystemState {
        var state = SystemState()
        let registry = env.registry
        state.initialised = registry.isInitialised
        state.linkedToHub = Posix.fileExists(registry.path + "/hub") || Posix.fileExists(registry.path + "/sub_apikey")
        state.address = try? RegistryBackupAddress.load(registry)
        state.rollbackExists = RollbackStore(root: env.settings.root).exists
        if let address = state.address {
            do {
                let sessions = try SessionListUseCase(SessionListRequest(registry: registry.path, address: address)).run().sessions
                state.lastBackup = sessions.first.map { BackupTime.display($0.time) }
            } catch {
                state.lastBackupProblem = "\(error)"
            }
        }
        var schedule = ScheduleRequest(action: .status)
        schedule.root = env.settings.root
        do {
            state.schedule = try ScheduleUseCase(schedule).run().enabled
        } catch {
            state.scheduleProblem = "the daily backup timer cannot be read: \(error)"
        }
        // The Hub backups of the account. A solo registry has none, so a
        // failure only counts as a problem when linked.
        if withHub && state.initialised {
            var list = ListRequest(registry: registry.path)
            list.hubURL = env.settings.hubURL
            do {
                let records = try ListUseCase(list).run().records
                state.linkedToHub = true
                state.hubBackups = records.compactMap(row)
            } catch {
                if state.linkedToHub { state.hubProblem = "the Hub's list of backups cannot be read: \(error)" }
            }
        }
        return state
    }

    /// One Hub record as a table row; a record whose id is not a plain
    /// number is left out (it could not be restored by id).
    static func row(_ record: HubRecord) -> [String: Any]? {
        guard (try? WebminInput.backupID(record.backupID)) != nil else { return nil }
        return [
            "backupID": record.backupID,
            "description": record.description,
            "updated": record.dateUpdated,
            "size": ByteText.format(record.size),
            "profile": record.turnkeyVersion,
            "passphrase": record.skpp,
        ]
    }
}

enum ByteText {
    static func format(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n); var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }
}
