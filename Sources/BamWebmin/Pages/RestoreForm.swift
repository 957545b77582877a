import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A restore as the forms describe it, every field checked by type, and
/// how it becomes the engine's request. Saved with a job (0600) for its
/// re-ask forms, without the passphrase.
struct RestoreForm: Codable {
    /// A Hub backup id, or nil for this server's own backup (the registry's address).
    var backupID: String?
    var time: String?
    var limits: [String] = []
    var skipFiles = false
    var skipPackages = false
    var skipDatabase = false
    var simulate = false
    var force = false
    /// The user saw the plan (a simulation's page) and confirmed: a
    /// whole-system restore runs only then.
    var confirmed = false
    /// Restore files into a directory (a raw download of one path)
    /// instead of onto the system.
    var filesPath: String?
    var filesDestination: String?
    /// The escrow key's text (uploaded now, or carried by a re-ask form).
    var keyPacket: String?
    var passphrase = ""

    enum CodingKeys: String, CodingKey {
        case backupID, time, limits, skipFiles, skipPackages, skipDatabase, simulate, force, keyPacket, confirmed, filesPath, filesDestination
    }

    static func parse(_ form: FormFields, upload: UploadedFile?) throws -> RestoreForm {
        var r = RestoreForm()
        if let id = form.value("backup_id"), !id.isEmpty { r.backupID = try WebminInput.backupID(id) }
        if let t = form.value("time"), !t.trimmingCharacters(in: .whitespaces).isEmpty { r.time = try WebminInput.time(t) }
        r.limits = try WebminInput.limits(form.value("limits") ?? "")
        r.skipFiles = form.flag("skip_files")
        r.skipPackages = form.flag("skip_packages")
        r.skipDatabase = form.flag("skip_database")
        r.simulate = form.flag("simulate")
        r.force = form.value("force") == "yes"
        r.confirmed = form.value("confirm") == "yes"
        if form.value("mode") == "files" {
            // A path inside the backup (relative, as `--path` takes it) and
            // a directory to put it in.
            let path = (form.value("path") ?? "").trimmingCharacters(in: .whitespaces)
            r.filesPath = path.isEmpty ? "" : String(try WebminInput.path(path.hasPrefix("/") ? path : "/" + path, field: "path").dropFirst())
            r.filesDestination = try WebminInput.path(form.value("destination") ?? "", field: "destination")
        }
        if let upload, !upload.bytes.isEmpty {
            r.keyPacket = try WebminInput.keyPacket(upload.bytes)
        } else if let carried = form.value("keydata"), !carried.isEmpty {
            r.keyPacket = try WebminInput.keyPacket(Array(carried.utf8))
        }
        r.passphrase = try WebminInput.passphrase(form.value("passphrase") ?? "")
        return r
    }

    /// The engine's request for this form on this module's system.
    func request(settings: ModuleSettings) -> BamEngine.RestoreRequest {
        var r = BamEngine.RestoreRequest(registry: settings.registry)
        r.root = settings.root
        r.confDirectory = settings.confDirectory
        r.cacheRoot = settings.cacheDirectory
        r.backupID = backupID
        r.time = time
        r.limits = limits
        r.skipFiles = skipFiles
        r.skipPackages = skipPackages
        r.skipDatabase = skipDatabase
        r.simulate = simulate
        r.force = force
        if let filesDestination {
            r.rawDestination = filesDestination
            r.path = (filesPath ?? "").isEmpty ? nil : filesPath
            r.address = backupID == nil ? (try? RegistryBackupAddress.load(Registry(path: settings.registry))) : nil
            r.limits = []
            r.skipFiles = false
            r.skipPackages = false
            r.skipDatabase = false
            r.simulate = false
        }
        return r
    }

    /// What a restore from this form is: a whole-system restore is only
    /// simulated until the user confirmed the plan.
    var kind: JobRecord.Kind {
        if filesDestination != nil { return .restoreFiles }
        return simulate || !confirmed ? .restoreSimulation : .restore
    }

    /// The fields of the form that runs the restore a simulation showed.
    func confirmFields() -> [[String: String]] {
        var confirmed = self
        confirmed.simulate = false
        confirmed.confirmed = true
        return confirmed.hiddenFields(force: false)
    }

    /// The fields a re-ask form carries (never the passphrase).
    func hiddenFields(force: Bool) -> [[String: String]] {
        var f: [(String, String)] = []
        if let backupID { f.append(("backup_id", backupID)) }
        if let time { f.append(("time", time)) }
        if !limits.isEmpty { f.append(("limits", limits.joined(separator: "\n"))) }
        if skipFiles { f.append(("skip_files", "1")) }
        if skipPackages { f.append(("skip_packages", "1")) }
        if skipDatabase { f.append(("skip_database", "1")) }
        if simulate { f.append(("simulate", "1")) }
        if force || self.force { f.append(("force", "yes")) }
        if confirmed { f.append(("confirm", "yes")) }
        if let filesDestination {
            f += [("mode", "files"), ("path", filesPath ?? ""), ("destination", filesDestination)]
        }
        if let keyPacket { f.append(("keydata", keyPacket)) }
        return f.map { ["name": $0.0, "value": $0.1] }
    }
}
