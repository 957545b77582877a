import BamEngine
import Foundation

/// A refusal: the page shows why, and nothing was done.
public struct PageRefusal: Error, CustomStringConvertible {
    public let title: String
    public let message: String
    public init(_ title: String = "Refused", _ message: String) {
        self.title = title
        self.message = message
    }
    public var description: String { message }
}

/// What a page handler works with: the checked request and user, the
/// module's settings and rights, the form token, and how to answer.
public final class PageEnvironment {
    public let request: CGIRequest
    public let user: String
    public let context: WebminContext
    public let settings: ModuleSettings
    public let acl: ModuleACL
    public let csrfToken: String
    public let output: CGIOutput
    public let renderer: PageRenderer
    public let log: ActionLog
    let moduleDescription: String

    init(
        request: CGIRequest, user: String, context: WebminContext, settings: ModuleSettings, acl: ModuleACL,
        csrfToken: String, output: CGIOutput, renderer: PageRenderer
    ) {
        self.request = request
        self.user = user
        self.context = context
        self.settings = settings
        self.acl = acl
        self.csrfToken = csrfToken
        self.output = output
        self.renderer = renderer
        log = ActionLog(context: context)
        moduleDescription = KeyValueFile.load(context.moduleDirectory + "/module.info")["desc"] ?? "Backup and Migration"
    }

    public var registry: Registry { Registry(path: settings.registry) }

    /// What a job started from this request runs with.
    var environmentForJobs: [String: String] { JobEnvironment.make(settings: settings, request: request.environment) }

    /// Values every template may use.
    func baseContext(title: String, help: String?) -> [String: Any] {
        [
            "title": title,
            "csrf": csrfToken,
            "csrfField": CSRFToken.fieldName,
            "moduleID": context.moduleID,
            "moduleDesc": moduleDescription,
            "isIndex": request.scriptName == "index.cgi",
            "help": help as Any,
            "showConfig": acl.values["noconfig"] != "1",  // Webmin's own key for the Module Config link
            "user": user,
        ]
    }

    private func sendHeaders() {
        output.sendHTMLHeaders(pjaxURL: request.isXHR ? request.environment["REQUEST_URI"] : nil)
    }

    /// A whole page: header, `template` with `values`, footer.
    public func page(
        title: String, template: String, _ values: [String: Any] = [:], help: String? = nil,
        error: String? = nil, notice: String? = nil
    ) {
        var all = baseContext(title: title, help: help)
        for (k, v) in values where !isNil(v) { all[k] = v }
        if let error { all["error"] = error }
        if let notice { all["notice"] = notice }
        sendHeaders()
        output.write(renderer.render("header", all) + renderer.render(template, all) + renderer.render("footer", all))
    }

    public func refusal(_ refusal: PageRefusal) {
        page(title: refusal.title, template: "refused", ["message": refusal.message])
    }

    // MARK: streaming

    /// Starts a streamed page: header, the `intro` template, an open <pre>.
    /// A refusal unless the request is a POST with fields (the token was
    /// checked before any page ran).
    public func requireSubmission(_ what: String) throws {
        guard request.isSubmission else {
            throw PageRefusal("Refused", "\(what) changes this system, so it needs a form submitted from this module (POST); nothing was done.")
        }
    }

    public func requireRight(_ allowed: Bool, _ what: String) throws {
        guard allowed else { throw PageRefusal("Access denied", "your Webmin user may not \(what) in this module") }
    }
}

/// True for an Optional holding nothing, wrapped in Any: such keys are left
/// out of a template's context so that `{{#key}}` sections stay closed.
func isNil(_ value: Any) -> Bool {
    let mirror = Mirror(reflecting: value)
    return mirror.displayStyle == .optional && mirror.children.isEmpty
}
