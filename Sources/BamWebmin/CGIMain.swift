import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The entry point of the multi-call `bam-webmin` binary: every `*.cgi`
/// of the module is a symlink to it. It does what WebminCore's init_config
/// does for Perl CGIs (module access, Referer rule), adds a CSRF token
/// check on every POST, then runs the page named by SCRIPT_NAME.
public enum CGIMain {
    public static let pages: [String: (PageEnvironment) throws -> Void] = [
        "index.cgi": IndexPage.handle,
        "init.cgi": InitPage.handle,
        "backup.cgi": BackupPage.handle,
        "job.cgi": JobPage.handle,
        "restore.cgi": RestoreFormPage.handle,
        "restore-run.cgi": RestoreRunPage.handle,
        "rollback.cgi": RollbackPage.handle,
        "passphrase.cgi": PassphrasePage.handle,
        "escrow.cgi": EscrowPage.handle,
        "options.cgi": OptionsPage.handle,
        "overrides.cgi": OverridesPage.handle,
        "profile.cgi": ProfilePage.handle,
        "schedule.cgi": SchedulePage.handle,
    ]

    public static func run() -> Never {
        // A browser that goes away must not kill a restore half-way.
        signal(SIGPIPE, SIG_IGN)
        handle(environment: ProcessInfo.processInfo.environment, output: CGIOutput())
        exit(0)
    }

    public static func handle(environment: [String: String], output: CGIOutput) {
        let moduleDirectory = WebminContext.moduleDirectory(environment: environment)
        let renderer: PageRenderer
        do { renderer = try PageRenderer(templateDirectory: moduleDirectory + "/templates") } catch {
            bare(output, "\(error)")
            return
        }
        var pageEnvironment: PageEnvironment?
        do {
            let context = try WebminContext(environment: environment, moduleDirectory: moduleDirectory)
            let request = try CGIRequest.fromProcess(environment: environment)
            guard let user = request.user else { throw CGIError.forbidden("no Webmin user: this program only runs under Webmin") }
            let access = AccessControl(context: context)
            let settings = try ModuleSettings(values: context.moduleConfig)
            let acl = access.moduleACL(for: user)
            // Access and Referer first: a refused request creates nothing, not even the token secret.
            var early: PageRefusal?
            if !access.userMayUseModule(user) {
                early = PageRefusal("Access denied", "the Webmin user \(user) is not allowed to use the \(context.moduleID) module")
            } else if let problem = access.refererProblem(request) {
                early = PageRefusal("Security warning", "Webmin refused this request: \(problem). Open the page from the module's own links.")
            }
            let csrf = early == nil ? try CSRFToken(stateDirectory: try context.ensureStateDirectory()) : nil
            let token = csrf?.token(user: user, sessionID: request.sessionID) ?? ""
            let env = PageEnvironment(
                request: request, user: user, context: context, settings: settings, acl: acl,
                csrfToken: token, output: output, renderer: renderer)
            pageEnvironment = env
            if let early { throw early }
            guard let csrf else { return }
            // A browser reload of a page Authentic loaded: back into the shell.
            if !request.isXHR && request.method == "GET" && request.query.value("xnavigation") == "1" {
                output.redirect("/")
                return
            }
            if request.isSubmission && !csrf.isValid(request.form.value(CSRFToken.fieldName), user: user, sessionID: request.sessionID) {
                throw PageRefusal(
                    "Security warning", "the form's security token is missing or wrong (the form is too old, or was not sent by this module); nothing was done."
                )
            }
            guard let page = pages[request.scriptName] else {
                throw PageRefusal("No such page", "\(request.scriptName) is not a page of this module")
            }
            try page(env)
        } catch let refusal as PageRefusal {
            if let env = pageEnvironment, !output.headersSent { env.refusal(refusal) } else { tail(output, refusal.message) }
        } catch {
            if let env = pageEnvironment, !output.headersSent {
                env.refusal(PageRefusal("Error", "\(error)"))
            } else if output.headersSent {
                tail(output, "\(error)")
            } else {
                bare(output, "\(error)")
            }
        }
    }

    /// When the templates or Webmin's environment are missing.
    static func bare(_ output: CGIOutput, _ message: String) {
        output.sendHTMLHeaders(pjaxURL: nil)
        output.write(
            "<!DOCTYPE html>\n<html><head><title>Error</title></head><body><div data-dcontainer=\"1\"><h1>Error</h1><p id=\"refused\">\(HTML.escape(message))</p></div></body></html>\n"
        )
    }

    /// An error after a page began: say so where the page is.
    static func tail(_ output: CGIOutput, _ message: String) {
        output.write("<p class=\"alert alert-danger\" id=\"refused\">\(HTML.escape(message))</p>\n")
    }
}
