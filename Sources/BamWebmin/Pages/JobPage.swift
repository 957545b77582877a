import BamEngine
import Foundation

/// A job's page (`job.cgi?id=...`): while it runs, its phase, files, bytes,
/// volumes and time so far, reloading itself; once it ended, its outcome,
/// summary and warnings. The id comes from the browser: only ids the job
/// store makes are looked up.
enum JobPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.backup || env.acl.restore, "see backup or restore jobs")
        let store = JobStore(stateDirectory: env.context.stateDirectory)
        guard let id = env.request.query.value("id"), let job = store.job(id) else {
            throw PageRefusal("No such job", "there is no job with that id (only the last \(JobStore.kept) are kept)")
        }
        show(env, job)
    }

    /// Creates a job and starts its runner; refuses (naming the running
    /// job) while another runs.
    static func start(
        _ env: PageEnvironment, kind: JobRecord.Kind, request: JobRequest, secrets: JobSecrets? = nil,
        form: RestoreForm? = nil
    ) throws -> JobDirectory {
        let store = JobStore(stateDirectory: try env.context.ensureStateDirectory())
        let job: JobDirectory
        do { job = try store.create(kind: kind, user: env.user, request: request) } catch let error as BamError {
            if case .locked = error, let busy = store.running() {
                throw PageRefusal("A job is running", "\(error). Its progress: job.cgi?id=\(busy.id)")
            }
            throw error
        }
        if let form { try job.write(form, to: job.form) }
        try JobLauncher.launch(job, environment: env.environmentForJobs, secrets: secrets)
        return job
    }

    static func show(_ env: PageEnvironment, _ job: JobDirectory) {
        let record = try? job.loadRecord()
        let title = record?.title ?? "Job"
        var values = summary(job)
        values["jobID"] = job.id
        values["startedBy"] = record?.user ?? ""
        values["started"] = record.map { BackupTime.display($0.started) } ?? ""
        let restoring = record?.kind == .restore || record?.kind == .restoreSimulation || record?.kind == .restoreFiles
        values["restoring"] = restoring && values["ok"] as? Bool == true && record?.kind == .restore
        if restoring, let status = values["status"] as? Int, let form = job.loadForm() {
            values["askPassphrase"] = status == Int(BamExitStatus.wrongPassphrase.rawValue)
            values["askForce"] = status == Int(BamExitStatus.incompatible.rawValue) && !form.force
            values["hidden"] = form.hiddenFields(force: false)
            values["hiddenForce"] = form.hiddenFields(force: true)
            values["hasKey"] = form.keyPacket != nil
            // A plan shown: the form that runs it.
            if record?.kind == .restoreSimulation, status == 0 {
                values["askConfirm"] = true
                values["confirmFields"] = form.confirmFields()
            }
        }
        let help: String
        switch record?.kind {
        case .restore?, .restoreSimulation?, .restoreFiles?: help = "restore"
        case .rollback?: help = "rollback"
        default: help = "backup"
        }
        env.page(title: title, template: "job", values, help: help)
    }

    /// What the index and the job page show of a job.
    static func summary(_ job: JobDirectory) -> [String: Any] {
        let record = try? job.loadRecord()
        let events = job.loadEvents()
        let counts = events.last { $0.files != nil }
        let phase = events.last { $0.kind == .phase }?.phase ?? "starting"
        var values: [String: Any] = [
            "id": job.id,
            "what": record?.title ?? "Job",
            "phase": phase,
            "files": counts?.files ?? 0,
            "bytes": ByteCount.format(counts?.bytes ?? 0),
            "volumes": counts?.volumes ?? 0,
            "warnings": events.filter { $0.kind == .warning }.compactMap(\.message),
        ]
        if let result = job.loadResult() {
            values["finished"] = true
            values["ok"] = result.status == 0
            values["status"] = Int(result.status)
            values["text"] = result.text
            values["ended"] = BackupTime.display(result.ended)
            values["duration"] = record.map { "\(max(0, result.ended - $0.started)) s" } ?? ""
        } else if job.isRunning {
            values["running"] = true
            let elapsed = record.map { max(0, Int64(time(nil)) - $0.started) }
            values["elapsed"] = elapsed.map { "\($0) s" } ?? ""
            if let elapsed, let estimate = JobEstimate(events: events, now: Double(elapsed)) {
                values["estimate"] = [
                    "percent": estimate.percent, "timeLeft": estimate.secondsLeft.map(JobEstimate.describe(seconds:)) ?? "",
                ]
            }
        } else {
            // The runner is gone without a result: it was killed or crashed.
            values["finished"] = true
            values["ok"] = false
            values["status"] = Int(BamExitStatus.failure.rawValue)
            values["text"] = "the job ended without a result (killed, or the machine restarted)"
        }
        return values
    }
}
