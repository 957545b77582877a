import BamEngine

/// Undoes the last restore: GET shows a confirmation, the confirmed POST
/// starts the rollback as a job and shows its page.
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
        var request = RollbackRequest(registry: env.settings.registry)
        request.root = env.settings.root
        let job = try JobPage.start(env, kind: .rollback, request: .rollback(request))
        env.log.record(env.request, action: "rollback", type: "restore", object: env.settings.root)
        JobPage.show(env, job)
    }
}
