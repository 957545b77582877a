import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A restore as the forms describe it, every field checked by type, and
/// how it becomes a `bam restore` argv (secrets go to stdin).
struct RestoreRequest {
    /// A Hub backup id, or nil for this server's own backup (the registry's address).
    var backupID: String?
    var time: String?
    var limits: [String] = []
    var skipFiles = false
    var skipPackages = false
    var skipDatabase = false
    var simulate = false
    var force = false
    /// The escrow key's text (uploaded now, or carried by a re-ask form).
    var keyPacket: String?
    var passphrase = ""

    static func parse(_ form: FormFields, upload: UploadedFile?) throws -> RestoreRequest {
        var r = RestoreRequest()
        if let id = form.value("backup_id"), !id.isEmpty { r.backupID = try WebminInput.backupID(id) }
        if let t = form.value("time"), !t.trimmingCharacters(in: .whitespaces).isEmpty { r.time = try WebminInput.time(t) }
        r.limits = try WebminInput.limits(form.value("limits") ?? "")
        r.skipFiles = form.flag("skip_files")
        r.skipPackages = form.flag("skip_packages")
        r.skipDatabase = form.flag("skip_database")
        r.simulate = form.flag("simulate")
        r.force = form.value("force") == "yes"
        if let upload, !upload.bytes.isEmpty {
            r.keyPacket = try WebminInput.keyPacket(upload.bytes)
        } else if let carried = form.value("keydata"), !carried.isEmpty {
            r.keyPacket = try WebminInput.keyPacket(Array(carried.utf8))
        }
        r.passphrase = try WebminInput.passphrase(form.value("passphrase") ?? "")
        return r
    }

    func arguments(settings: ModuleSettings, keyFile: String?) -> [String] {
        var a = ["restore"]
        if let backupID { a.append(backupID) }
        a += settings.systemArguments
        if let time { a += ["--time", time] }
        if !limits.isEmpty { a += ["--limits", limits.joined(separator: " ")] }
        if skipFiles { a.append("--skip-files") }
        if skipPackages { a.append("--skip-packages") }
        if skipDatabase { a.append("--skip-database") }
        if simulate { a.append("--simulate") }
        if force { a.append("--force") }
        if let keyFile { a += ["--keyfile", keyFile] }
        a.append("--noninteractive")
        return a
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
        if let keyPacket { f.append(("keydata", keyPacket)) }
        return f.map { ["name": $0.0, "value": $0.1] }
    }

    /// Writes the escrow key to a 0600 file in the module's state
    /// directory for `--keyfile`; the caller deletes it after the run.
    func storeKey(in stateDirectory: String) throws -> String? {
        guard let keyPacket else { return nil }
        let directory = stateDirectory + "/uploads"
        try Posix.makeDirectories(directory, mode: 0o700)
        _ = chmod(directory, 0o700)
        var random = SystemRandomNumberGenerator()
        let name = directory + "/key-" + String(random.next(), radix: 16)
        let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw BamError.io(path: name, operation: "create", errno: errno) }
        defer { close(fd) }
        try Posix.writeAll(fd, Array((keyPacket + "\n").utf8), path: name)
        return name
    }
}
