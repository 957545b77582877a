import BamEngine
import Foundation
import HTTPTypes
import Hummingbird

/// The retention forms: the account's policy on the account page (the
/// default of every server) and a record's own on its backup page. Both
/// are POSTs with the session's CSRF token; a value bam would refuse in
/// conf is refused here with the field named, the page shown again with
/// what was typed.
extension WebRoutes {
    func addRetention(to router: Router<HubRequestContext>) {
        router.post("account/retention") { request, _ in
            try await withSessionForm(request) { account, session, form in
                do {
                    let policy = try HubService.retentionPolicy(keepFull: form["keep_full"], keepWithin: form["keep_within"])
                    try await offloaded { [service] in try service.setAccountRetention(account, policy) }
                    var values = try await accountValues(account, session)
                    values["retentionSaved"] = true
                    return page("account", values)
                } catch let error as HubAPIError where error.status == 400 {
                    var values = try await accountValues(account, session)
                    values["retentionError"] = error.detail
                    values["keepFull"] = form["keep_full"] ?? ""
                    values["keepWithin"] = form["keep_within"] ?? ""
                    return page("account", values, status: .badRequest)
                }
            }
        }
        router.post("backups/:id/retention") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await withSessionForm(request) { account, session, form in
                do {
                    let policy: RetentionPolicy? =
                        form["use_account"] != nil
                        ? nil : try HubService.retentionPolicy(keepFull: form["keep_full"], keepWithin: form["keep_within"])
                    try await offloaded { [service] in try service.setRecordRetention(account: account, id: id, policy) }
                    return Response.redirect(to: "/backups/\(id)")
                } catch let error as HubAPIError where error.status == 400 {
                    var view = try await offloaded { [service] in try BackupView.make(service: service, account: account, id: id) }
                    view["retentionError"] = error.detail
                    view["keepFull"] = form["keep_full"] ?? ""
                    view["keepWithin"] = form["keep_within"] ?? ""
                    return page("backup", view.merging(base(account, session, title: "Backup \(id)")) { a, _ in a }, status: .badRequest)
                } catch let error as HubAPIError where error.status == 404 {
                    return Response(
                        status: .notFound, headers: [.contentType: "text/plain"],
                        body: .init(byteBuffer: ByteBuffer(string: error.description + "\n")))
                }
            }
        }
    }

    /// The account page's values: the session's, and the policy in force
    /// with the form's fields filled from it.
    func accountValues(_ account: Account, _ session: WebSession) async throws -> [String: Any] {
        let policy = try await offloaded { [service] in try service.accountRetention(account) }
        var values = base(account, session, title: "Account")
        values["retention"] = policy.description
        values["keepFull"] = policy.keepFull.map(String.init) ?? ""
        values["keepWithin"] = policy.keepWithin?.description ?? ""
        return values
    }

    /// As `withSession(post: true)`, handing the decoded form to `body`.
    func withSessionForm(
        _ request: Request, _ body: (Account, WebSession, [String: String]) async throws -> Response
    ) async throws -> Response {
        var request = request
        guard let (account, session, _) = try await signedIn(request) else { return Response.redirect(to: "/signin") }
        let form = try await formBody(&request)
        guard Secrets.constantTimeEquals(form["csrf"] ?? "", session.csrfToken) else {
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: "CSRF token missing or wrong\n")))
        }
        return try await body(account, session, form)
    }
}
