import BamEngine
import Foundation

/// Links this server: to a Hub with an API key (`bam init --apikey-stdin`,
/// the key on stdin), or solo with a local backup directory
/// (`bam init --solo`, then the registry's address is file://DIR).
enum InitPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.configure, "link this server")
        let registry = env.registry
        guard env.request.isSubmission else {
            env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], help: "init")
            return
        }
        let form = env.request.form
        let arguments: [String]
        var stdin = ""
        var target: String?
        switch form.value("mode") ?? "" {
        case "hub":
            let key: String
            do { key = try WebminInput.apiKey(form.value("apikey") ?? "") } catch {
                env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], error: "\(error)")
                return
            }
            arguments = ["init", "--apikey-stdin"] + (env.settings.hubURL.map { ["--hub", $0] } ?? [])
            stdin = key + "\n"
        case "solo":
            do { target = try WebminInput.path(form.value("target") ?? "", field: "local backup directory") } catch {
                env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], error: "\(error)")
                return
            }
            arguments = ["init", "--solo"]
        default:
            throw PageRefusal("Refused", "mode must be hub or solo")
        }
        env.log.record(env.request, action: "init", type: "registry", object: form.value("mode") ?? "-")
        var output = ""
        var status: Int32 = 0
        if !(registry.isInitialised && target != nil) {
            let run = try env.bam.capture(arguments, stdin: stdin)
            status = run.status
            output = String(decoding: run.stdout, as: UTF8.self) + run.stderr
        } else {
            output = "already initialised; only the backup directory changes\n"
        }
        if status == 0, let target {
            try Posix.makeDirectories(target, mode: 0o700)
            try RegistryBackupAddress.save("file://" + target, in: registry)
            output += "backups go to file://\(target)\n"
        }
        env.page(title: "Link this server", template: "command_result", [
            "ok": status == 0, "status": Int(status), "output": output, "what": "Linking",
        ])
    }
}
