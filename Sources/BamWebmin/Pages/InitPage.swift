import BamEngine
import Foundation

/// Links this server, in-process through the engine's init use case: to a
/// Hub with an API key (kept in memory, never in argv), or solo with a local
/// backup directory (the registry's address becomes file://DIR).
enum InitPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.configure, "link this server")
        let registry = env.registry
        guard env.request.isSubmission else {
            env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], help: "init")
            return
        }
        let form = env.request.form
        var request = InitRequest(registry: registry.path)
        request.root = env.settings.root
        switch form.value("mode") ?? "" {
        case "hub":
            do { request.apiKey = try WebminInput.apiKey(form.value("apikey") ?? "") } catch {
                env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], error: "\(error)")
                return
            }
            request.hubURL = env.settings.hubURL
        case "solo":
            do { request.backupDirectory = try WebminInput.path(form.value("target") ?? "", field: "local backup directory") } catch {
                env.page(title: "Link this server", template: "init", ["initialised": registry.isInitialised], error: "\(error)")
                return
            }
        default:
            throw PageRefusal("Refused", "mode must be hub or solo")
        }
        env.log.record(env.request, action: "init", type: "registry", object: form.value("mode") ?? "-")
        env.showOperation(title: "Link this server", what: "Linking") { warnings in
            // Already initialised, solo: only the backup directory changes
            // (a new secret would make the existing backups unreadable).
            if registry.isInitialised, let target = request.backupDirectory {
                return "already initialised; only the backup directory changes\nbackups go to \(try InitUseCase.backUp(to: target, in: registry))"
            }
            return try InitUseCase(request, progress: warnings).run().text
        }
    }
}
