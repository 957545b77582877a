/// The module index: status, daily backup, Run Backup / Run Simulation,
/// the restore section (this server's backup and the Hub's), rollback.
/// Shows state only: it never acts on its parameters.
enum IndexPage {
    static func handle(_ env: PageEnvironment) throws {
        let state = SystemState.read(env, withHub: true)
        let jobs = env.acl.backup ? JobStore(stateDirectory: env.context.stateDirectory).all() : []
        let running = jobs.first { $0.isRunning }
        let lastJobs = jobs.filter { !$0.isRunning }.prefix(5).map(JobPage.summary)
        env.page(
            title: env.moduleDescription, template: "index",
            [
                "initialised": state.initialised,
                "linkedToHub": state.linkedToHub,
                "address": state.address as Any,
                "lastBackup": state.lastBackup ?? "none found",
                "lastBackupProblem": state.lastBackupProblem as Any,
                "scheduleKnown": state.schedule != nil,
                "scheduleOn": state.schedule == true,
                "scheduleProblem": state.scheduleProblem as Any,
                "hubBackups": state.hubBackups,
                "hasHubBackups": !state.hubBackups.isEmpty,
                "hubProblem": state.hubProblem as Any,
                "rollbackExists": state.rollbackExists,
                "canBackup": env.acl.backup && state.initialised,
                "canRestore": env.acl.restore,
                "canConfigure": env.acl.configure,
                "canEscrow": env.acl.escrow && state.initialised,
                "root": env.settings.root,
                "runningJob": running.map(JobPage.summary) as Any,
                "lastJobs": Array(lastJobs),
                "hasLastJobs": !lastJobs.isEmpty,
            ], help: "index")
    }
}
