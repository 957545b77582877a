import BamEngine

/// Starts a backup or a simulation (POST from the index) as a job that
/// runs the engine in its own process, and shows the job's page.
enum BackupPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.backup, "run backups")
        try env.requireSubmission("Running a backup")
        let kind: JobRecord.Kind
        switch env.request.form.value("mode") ?? "" {
        case "backup": kind = .backup
        case "simulate": kind = .simulate
        default: throw PageRefusal("Refused", "mode must be backup or simulate")
        }
        var request = BackupRequest(registry: env.settings.registry)
        request.root = env.settings.root
        request.confDirectory = env.settings.confDirectory
        request.cacheRoot = env.settings.cacheDirectory
        request.simulate = kind == .simulate
        let job = try JobPage.start(env, kind: kind, request: .backup(request))
        env.log.record(env.request, action: kind.rawValue, type: "backup", object: env.settings.root)
        JobPage.show(env, job)
    }
}
