import BamEngine
import Foundation

/// What the index shows, read from the engine directly (registry, target,
/// rollback store) or, for what only the CLI knows (Hub backups, the daily
/// timer), from its JSON output.
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
                // The registry's own credentials file, as the CLI would use.
                var options = StorageRegistry.defaults
                options.registryPath = registry.path
                let backend = try StorageRegistry.open(address: address, options: options)
                let newest = try backend.list().compactMap { BackupFileName.parse($0.name) }
                    .filter { if case .manifest = $0.kind { return true } else { return false } }
                    .map(\.end).max()
                state.lastBackup = newest.map(BackupTime.display)
            } catch {
                state.lastBackupProblem = "\(error)"
            }
        }
        // `bam schedule status --json` (daily timer): {"enabled": true|false}.
        var scheduleArguments = ["schedule", "status", "--json"]
        if env.settings.root != "/" { scheduleArguments += ["--root", env.settings.root] }
        if let run = try? env.bam.capture(scheduleArguments), run.status == 0,
           let object = lastJSONObject(run.stdout), let enabled = object["enabled"] as? Bool {
            state.schedule = enabled
        } else {
            state.scheduleProblem = "the daily backup timer cannot be read (bam schedule status)"
        }
        // `bam list --json` (Hub backups of the account). A solo registry
        // has none, so a failure only counts as a problem when linked.
        if withHub && state.initialised {
            if let run = try? env.bam.capture(["list", "--json"]), run.status == 0,
               let object = lastJSONObject(run.stdout), let records = object["records"] as? [[String: Any]] {
                state.linkedToHub = true
                state.hubBackups = records.compactMap(row)
            } else if state.linkedToHub {
                state.hubProblem = "the Hub's list of backups cannot be read (bam list)"
            }
        }
        return state
    }

    /// One `bam list --json` record as a table row; a record whose id is
    /// not a plain number is left out (it could not be restored by id).
    static func row(_ record: [String: Any]) -> [String: Any]? {
        guard let id = record["backup_id"].map({ "\($0)" }), (try? WebminInput.backupID(id)) != nil else { return nil }
        let size = (record["size"] as? NSNumber)?.int64Value ?? 0
        return [
            "backupID": id,
            "description": "\(record["description"] ?? "")",
            "updated": "\(record["date_updated"] ?? "")",
            "size": ByteText.format(size),
            "profile": "\(record["turnkey_version"] ?? "")",
            "passphrase": (record["skpp"] as? Bool) == true,
        ]
    }

    static func lastJSONObject(_ bytes: [UInt8]) -> [String: Any]? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n").reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { return object }
        }
        return try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
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
