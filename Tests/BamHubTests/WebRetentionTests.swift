import BamEngine
import BamHub
import Foundation
import Testing

extension WebTests {
    /// The account page shows and sets the account's policy (CSRF, checked
    /// values); the records page shows each backup's stored size and the
    /// policy that applies; a backup's page overrides it for one server.
    @Test("retention: the account's policy shown and set, bad values refused; records show stored size and policy", arguments: TestDatabase.inThisRun)
    func retention(database: TestDatabase) throws {
        let w = try Self.world(database)
        let web = try Self.signIn(w.hub, email: "web@example.com", apiKey: w.apiKey)
        let id = w.records[0]["backup_id"] as! String
        let auth = [(name: "subkey", value: w.subkey)]

        let page = try web.get("/account").bodyText
        #expect(page.contains("<strong>keep everything</strong>"), "\(page)")
        let csrf = try #require(WebClient.hiddenField("csrf", in: page))

        #expect(try web.post("/account/retention", ["keep_full": "2"]).status == 403)
        #expect(try web.post("/account/retention", ["keep_full": "2", "csrf": "forged"]).status == 403)

        let notNumber = try web.post("/account/retention", ["keep_full": "two", "keep_within": "", "csrf": csrf])
        #expect(notNumber.status == 400)
        #expect(notNumber.bodyText.contains("keep-full: must be a whole number from 1 to 1000000, got &#39;two&#39;"), "\(notNumber.bodyText)")
        #expect(notNumber.bodyText.contains("value=\"two\""), "what was typed is shown again")
        let badAge = try web.post("/account/retention", ["keep_full": "", "keep_within": "3 months", "csrf": csrf])
        #expect(badAge.status == 400)
        #expect(badAge.bodyText.contains("keep-within: must be an age like 3M"), "\(badAge.bodyText)")
        let now = try web.post("/account/retention", ["keep_within": "now", "csrf": csrf])
        #expect(now.status == 400 && now.bodyText.contains("not &#39;now&#39;"), "\(now.bodyText)")
        #expect(try web.get("/account").bodyText.contains("<strong>keep everything</strong>"), "nothing was saved")

        let saved = try web.post("/account/retention", ["keep_full": " 2 ", "keep_within": "3M", "csrf": csrf])
        #expect(saved.status == 200)
        #expect(saved.bodyText.contains("id=\"retention-saved\""))
        #expect(saved.bodyText.contains("<strong>keep-full 2, keep-within 3M</strong>"), "\(saved.bodyText)")
        let record = try HubTestServer.json(try w.hub.call("GET", "/api/backup/record/\(id)/", headers: auth)) as? [String: Any]
        #expect((record?["retention"] as? [String: Any])?["keep_full"] as? Int == 2, "\(String(describing: record))")

        // The records page: each backup's stored size (measured when its
        // last backup finished, after pruning) and its policy.
        let servers = try web.get("/servers").bodyText
        #expect(servers.contains("<th>Stored size</th>"))
        #expect(servers.contains("title=\"10240 bytes when the last backup finished, after pruning\">10.0 KiB<"), "\(servers)")
        #expect(servers.contains("<td class=\"retention\">keep-full 2, keep-within 3M</td>"))

        // One server's own policy, then back to the account's.
        var detail = try web.get("/backups/\(id)").bodyText
        #expect(detail.contains("keep-full 2, keep-within 3M (the account&#39;s policy)"), "\(detail)")
        #expect(try web.post("/backups/\(id)/retention", ["keep_full": "5"]).status == 403)
        let refused = try web.post("/backups/\(id)/retention", ["keep_full": "-1", "csrf": csrf])
        #expect(refused.status == 400 && refused.bodyText.contains("keep-full: must be a whole number"), "\(refused.bodyText)")
        let own = try web.post("/backups/\(id)/retention", ["keep_full": "5", "csrf": csrf])
        #expect(own.status == 303)
        detail = try web.get("/backups/\(id)").bodyText
        #expect(detail.contains("keep-full 5 (this server&#39;s own policy)"), "\(detail)")
        #expect(try web.get("/servers").bodyText.contains("<td class=\"retention\">keep-full 5</td>"))
        let other =
            try HubTestServer.json(try w.hub.call("GET", "/api/backup/record/\(w.records[1]["backup_id"] as! String)/", headers: auth)) as? [String: Any]
        #expect((other?["retention"] as? [String: Any])?["keep_full"] as? Int == 2, "the other server keeps the account's")
        #expect(try web.post("/backups/\(id)/retention", ["use_account": "1", "csrf": csrf]).status == 303)
        #expect(try web.get("/backups/\(id)").bodyText.contains("keep-full 2, keep-within 3M (the account"))

        // Another account's session cannot touch it.
        let thirdKey = try w.hub.addAccount("third@example.com")
        let third = try Self.signIn(w.hub, email: "third@example.com", apiKey: thirdKey)
        let thirdCsrf = try #require(WebClient.hiddenField("csrf", in: try third.get("/account").bodyText))
        #expect(try third.post("/backups/\(id)/retention", ["keep_full": "1", "csrf": thirdCsrf]).status == 404)
        #expect(try third.get("/account").bodyText.contains("<strong>keep everything</strong>"))
    }
}
