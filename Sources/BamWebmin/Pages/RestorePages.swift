import BamEngine

/// The restore form: this server's backup sessions to choose the time
/// from; the whole-system restore (escrow key upload, passphrase, skip
/// flags, limits), which first shows its plan; and the restore of one
/// path into a directory. It only shows forms; restore-run.cgi acts.
enum RestoreFormPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.restore, "restore backups")
        var values: [String: Any] = ["root": env.settings.root]
        if let id = env.request.query.value("backup_id") ?? env.request.form.value("backup_id"), !id.isEmpty {
            values["backupID"] = try WebminInput.backupID(id)
        }
        values["address"] = try? RegistryBackupAddress.load(env.registry)
        // This server's backup sessions, to choose the time from (names
        // only: no key needed). A target that cannot be listed is said so.
        if values["backupID"] == nil, values["address"] != nil {
            do {
                let list = try SessionListUseCase(SessionListRequest(registry: env.settings.registry)).run()
                values["sessions"] = list.sessions.enumerated().map { index, session in
                    [
                        "time": BackupTime.format(session.time), "shown": BackupTime.display(session.time),
                        "kind": session.incremental ? "incremental" : "full", "volumes": session.volumes,
                        "size": ByteCount.format(session.storedBytes), "latest": index == 0,
                    ] as [String: Any]
                }
                values["hasSessions"] = !list.sessions.isEmpty
            } catch {
                values["sessionsProblem"] = "the backup's sessions cannot be listed: \(error)"
            }
        }
        env.page(title: "Restore", template: "restore", values, help: "restore")
    }
}

/// Starts a restore (or its simulation) as a job that runs the engine in
/// its own process, and shows the job's page. A wrong passphrase (exit 11)
/// asks again there; a backup of another appliance type (exit 10) asks for
/// a confirmation to force it. An uploaded key reaches the job through a
/// pipe, never a file, argv or the environment.
enum RestoreRunPage {

    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.restore, "restore backups")
        try env.requireSubmission("A restore")
        let form: RestoreForm
        do { form = try RestoreForm.parse(env.request.form, upload: env.request.file("keyfile")) } catch let invalid as WebminInput.Invalid {
            throw PageRefusal("Restore: invalid input", "\(invalid); nothing was done")
        }
        var request = form.request(settings: env.settings)
        // Until the user confirmed the plan, a whole-system restore only shows it.
        if form.kind == .restoreSimulation { request.simulate = true }
        do { try request.validate() } catch { throw PageRefusal("Restore: invalid input", "\(error); nothing was done") }
        let job = try JobPage.start(
            env, kind: form.kind, request: .restore(request),
            secrets: JobSecrets(keyPacket: form.keyPacket, passphrase: form.passphrase), form: form)
        var logged: [(String, String)] = [("simulate", form.simulate ? "1" : "0"), ("force", form.force ? "1" : "0")]
        if let t = form.time { logged.append(("time", t)) }
        env.log.record(
            env.request, action: form.kind == .restoreSimulation ? "simulate" : "restore", type: "restore",
            object: form.backupID ?? "registry", parameters: logged)
        JobPage.show(env, job)
    }
}
