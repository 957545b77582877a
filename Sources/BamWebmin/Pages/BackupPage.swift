/// Runs a backup or a simulation (POST from the index) and streams bam's
/// output as it comes.
enum BackupPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.backup, "run backups")
        try env.requireSubmission("Running a backup")
        let simulate: Bool
        switch env.request.form.value("mode") ?? "" {
        case "backup": simulate = false
        case "simulate": simulate = true
        default: throw PageRefusal("Refused", "mode must be backup or simulate")
        }
        var arguments = ["backup"] + env.settings.systemArguments
        if simulate { arguments.append("--simulate") }
        let title = simulate ? "Backup simulation" : "Backup"
        env.log.record(env.request, action: simulate ? "simulate" : "backup", type: "backup", object: env.settings.root)
        env.beginStream(title: title, intro: ["command": "bam " + arguments.joined(separator: " ")], help: "backup")
        let result = try env.bam.stream(arguments) { env.streamLine($0) }
        env.endStream(title: title, template: "run_result", [
            "ok": result.status == 0,
            "status": Int(result.status),
            "what": simulate ? "The simulation" : "The backup",
        ])
    }
}
