import BamEngine

/// The advanced restore form: time, escrow key upload, passphrase, skip
/// flags, limits. It only shows a form; restore-run.cgi acts.
enum RestoreFormPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.restore, "restore backups")
        var values: [String: Any] = ["root": env.settings.root]
        if let id = env.request.query.value("backup_id") ?? env.request.form.value("backup_id"), !id.isEmpty {
            values["backupID"] = try WebminInput.backupID(id)
        }
        values["address"] = try? RegistryBackupAddress.load(env.registry)
        env.page(title: "Restore", template: "restore", values, help: "restore")
    }
}

/// Runs `bam restore` and streams it. A wrong passphrase (exit 11) asks
/// again; a backup of another appliance type (exit 10) asks for a
/// confirmation to force it. Uploaded keys live 0600 and only for the run.
enum RestoreRunPage {

    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.restore, "restore backups")
        try env.requireSubmission("A restore")
        let restore: RestoreRequest
        do { restore = try RestoreRequest.parse(env.request.form, upload: env.request.file("keyfile")) } catch let invalid as WebminInput.Invalid {
            throw PageRefusal("Restore: invalid input", "\(invalid); nothing was done")
        }
        let keyFile = try restore.storeKey(in: try env.context.ensureStateDirectory())
        defer { if let keyFile { try? Posix.removeTree(Array(keyFile.utf8)) } }
        let arguments = restore.arguments(settings: env.settings, keyFile: keyFile)
        let title = restore.simulate ? "Restore simulation" : "Restore"
        var logged: [(String, String)] = [("simulate", restore.simulate ? "1" : "0"), ("force", restore.force ? "1" : "0")]
        if let t = restore.time { logged.append(("time", t)) }
        env.log.record(env.request, action: restore.simulate ? "simulate" : "restore", type: "restore",
                       object: restore.backupID ?? "registry", parameters: logged)
        env.beginStream(title: title, intro: ["command": "bam " + arguments.map { $0 == keyFile ? "KEYFILE" : $0 }.joined(separator: " ")], help: "restore")
        let result = try env.bam.stream(arguments, stdin: restore.passphrase + "\n") { env.streamLine($0) }
        env.endStream(title: title, template: "restore_result", [
            "ok": result.status == 0,
            "status": Int(result.status),
            "what": restore.simulate ? "The restore simulation" : "The restore",
            "askPassphrase": result.status == BamExitStatus.wrongPassphrase.rawValue,
            "askForce": result.status == BamExitStatus.incompatible.rawValue && !restore.force,
            "hidden": restore.hiddenFields(force: false),
            "hiddenForce": restore.hiddenFields(force: true),
            "hasKey": restore.keyPacket != nil,
            "simulate": restore.simulate,
        ])
    }
}
