import BamEngine
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import TemplateValues

/// The account's web pages, rendered on the server from mustache templates
/// (HTML-escaped by default). Sign-in is email + API key; the session is a
/// random cookie (HttpOnly, SameSite=Strict) stored hashed; every POST form
/// carries the session's CSRF token (the sign-in form a cookie-bound one).
public struct WebRoutes: Sendable {
    let service: HubService
    let templates: MustacheLibrary
    let clients: ClientAddressPolicy
    /// Sends cookies with `Secure` (when served over HTTPS by a proxy).
    let secureCookies: Bool

    static let sessionCookie = "bam_hub_session"
    static let signinCookie = "bam_hub_signin"
    static let sessionSeconds: Int64 = 8 * 3600

    public init(service: HubService, templates: MustacheLibrary, clients: ClientAddressPolicy, secureCookies: Bool = false) {
        self.service = service
        self.templates = templates
        self.clients = clients
        self.secureCookies = secureCookies
    }

    public static func loadTemplates(directory: String) async throws -> MustacheLibrary {
        let library = try await MustacheLibrary(directory: directory)
        for name in ["signin", "servers", "backup", "delete", "account"] where library.getTemplate(named: name) == nil {
            throw HubStoreError.invalid("template \(directory)/\(name).mustache is missing")
        }
        return library
    }

    public func add(to router: Router<HubRequestContext>) {
        router.get("/") { request, _ in
            try await signedIn(request) == nil ? Response.redirect(to: "/signin") : Response.redirect(to: "/servers")
        }
        router.get("signin") { _, _ in
            let token = Secrets.randomHex(bytes: 16)
            var response = page("signin", ["csrf": token, "title": "Sign in"])
            response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signinCookie, token, maxAge: 3600)))
            return response
        }
        router.post("signin") { request, context in
            var request = request
            let form = try await formBody(&request)
            let cookieToken = request.cookies[Self.signinCookie]?.value ?? ""
            guard !cookieToken.isEmpty, Secrets.constantTimeEquals(cookieToken, form["csrf"] ?? "") else {
                return page("signin", ["error": "The sign-in form expired; please try again.", "title": "Sign in"], status: .forbidden)
            }
            let client = clientAddress(request, context)
            do {
                let account = try await offloaded { [service] in
                    try service.signIn(email: form["email"] ?? "", apiKey: (form["apikey"] ?? "").trimmingCharacters(in: .whitespaces), client: client)
                }
                let token = Secrets.randomHex(bytes: 32)
                let session = WebSession(
                    accountId: account.id, csrfToken: Secrets.randomHex(bytes: 16),
                    expires: HubDate.now() + Self.sessionSeconds)
                try await offloaded { [service] in try service.store.addSession(tokenHash: Secrets.sha256Hex(token), session: session) }
                var response = Response.redirect(to: "/servers")
                response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, token, maxAge: Int(Self.sessionSeconds))))
                response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signinCookie, "", maxAge: 0)))
                return response
            } catch let error as HubAPIError {
                let message = error.status == 429 ? "Too many failed attempts; try again later." : "Unknown email or API key."
                let token = Secrets.randomHex(bytes: 16)
                var response = page(
                    "signin", ["error": message, "csrf": token, "email": form["email"] ?? "", "title": "Sign in"],
                    status: error.status == 429 ? .tooManyRequests : .unauthorized)
                response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.signinCookie, token, maxAge: 3600)))
                return response
            }
        }
        router.post("signout") { request, _ in
            try await withSession(request, post: true) { _, _, token in
                try await offloaded { [service] in try service.store.deleteSession(tokenHash: Secrets.sha256Hex(token)) }
                var response = Response.redirect(to: "/signin")
                response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", maxAge: 0)))
                return response
            }
        }
        router.get("servers") { request, _ in
            let pageNumber = request.uri.queryParameters["page"].map(String.init)
            return try await withSession(request) { account, session, _ in
                let view = try await offloaded { [service] in try ServersView.make(service: service, account: account, page: pageNumber) }
                return page("servers", view.merging(base(account, session, title: "Servers")) { a, _ in a })
            }
        }
        router.get("backups/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await withSession(request) { account, session, _ in
                let view = try await offloaded { [service] in try BackupView.make(service: service, account: account, id: id) }
                return page("backup", view.merging(base(account, session, title: "Backup \(id)")) { a, _ in a })
            }
        }
        router.get("backups/:id/key") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await withSession(request) { account, _, _ in
                let record = try await offloaded { [service] in try service.record(account: account, id: id) }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "application/octet-stream",
                        .contentDisposition: "attachment; filename=\"bam-key-\(record.id)\"",
                        .cacheControl: "no-store",
                    ], body: .init(byteBuffer: ByteBuffer(string: record.key)))
            }
        }
        router.get("backups/:id/delete") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await withSession(request) { account, session, _ in
                let view = try await offloaded { [service] in try BackupView.make(service: service, account: account, id: id) }
                return page("delete", view.merging(base(account, session, title: "Delete backup \(id)")) { a, _ in a })
            }
        }
        router.post("backups/:id/delete") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await withSession(request, post: true) { account, _, _ in
                try await offloaded { [service] in try service.deleteBackup(account: account, id: id) }
                return Response.redirect(to: "/servers")
            }
        }
        router.get("account") { request, _ in
            try await withSession(request) { account, session, _ in
                page("account", try await accountValues(account, session))
            }
        }
        addRetention(to: router)
        router.post("account/apikey") { request, _ in
            try await withSession(request, post: true) { account, session, _ in
                let key = try await offloaded { [service] in try service.rotateApiKey(account: account) }
                var values = try await accountValues(account, session)
                values["newApiKey"] = key
                var response = page("account", values)
                response.headers.append(HTTPField(name: .cacheControl, value: "no-store"))
                return response
            }
        }
    }

    // MARK: Helpers

    func base(_ account: Account, _ session: WebSession, title: String) -> [String: Any] {
        ["email": account.email, "csrf": session.csrfToken, "title": title, "signedIn": true]
    }

    func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = templates.render(TemplateValues.displayable(values), withTemplate: name) ?? "template \(name) missing"
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    func formBody(_ request: inout Request) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: 64 << 10)
        return FormDecoding.decode(String(buffer: body))
    }

    private func clientAddress(_ request: Request, _ context: HubRequestContext) -> String {
        let headerValue = clients.header.flatMap { HTTPField.Name($0) }.flatMap { request.headers[$0] }
        return clients.client(peer: context.peerAddress, headerValue: headerValue) ?? "unknown"
    }

    func signedIn(_ request: Request) async throws -> (Account, WebSession, String)? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        return try await offloaded { [service] in
            guard let session = try service.store.session(tokenHash: Secrets.sha256Hex(token), now: HubDate.now()),
                let account = try service.store.account(id: session.accountId)
            else { return nil }
            return (account, session, token)
        }
    }

    /// Runs `body` for a signed-in browser; redirects to sign-in otherwise.
    /// For POSTs the form's `csrf` must equal the session's token.
    private func withSession(
        _ request: Request, post: Bool = false,
        _ body: (Account, WebSession, String) async throws -> Response
    ) async throws -> Response {
        var request = request
        guard let (account, session, token) = try await signedIn(request) else { return Response.redirect(to: "/signin") }
        if post {
            let form = try await formBody(&request)
            guard Secrets.constantTimeEquals(form["csrf"] ?? "", session.csrfToken) else {
                return Response(
                    status: .forbidden, headers: [.contentType: "text/plain"],
                    body: .init(byteBuffer: ByteBuffer(string: "CSRF token missing or wrong\n")))
            }
        }
        do {
            return try await body(account, session, token)
        } catch let error as HubAPIError where [400, 404, 409].contains(error.status) {
            return Response(
                status: HTTPResponse.Status(code: error.status), headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: error.description + "\n")))
        }
    }
}
