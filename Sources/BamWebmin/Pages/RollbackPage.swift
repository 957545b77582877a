import BamEngine

/// Undoes the last restore: GET shows a confirmation, the confirmed POST
/// runs `bam restore-rollback` and streams it.
enum RollbackPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.restore, "roll back restores")
        let store = RollbackStore(root: env.settings.root)
        guard env.request.isSubmission else {
            env.page(title: "Roll back the last restore", template: "rollback", ["exists": store.exists, "root": env.settings.root], help: "rollback")
            return
        }
        guard env.request.form.value("confirm") == "yes" else {
            throw PageRefusal("Refused", "tick the confirmation to roll back; nothing was done")
        }
        guard store.exists else { throw PageRefusal("Nothing to roll back", "there is no rollback store in \(store.path)") }
        let arguments = ["restore-rollback", "--root", env.settings.root]
        env.log.record(env.request, action: "rollback", type: "restore", object: env.settings.root)
        env.beginStream(title: "Rollback", intro: ["command": "bam " + arguments.joined(separator: " ")])
        let result = try env.bam.stream(arguments) { env.streamLine($0) }
        env.endStream(title: "Rollback", template: "run_result", ["ok": result.status == 0, "status": Int(result.status), "what": "The rollback"])
    }
}
