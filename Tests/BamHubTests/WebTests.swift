import BamEngine
import BamHub
import Foundation
import HTTP
import Testing

/// The web pages over HTTP against the real `bam-hub serve`.
@Suite("Hub web pages", .serialized)
struct WebTests {
    /// A Hub with one account, two backups (one in progress, one with a
    /// full and an incremental session stored) and a second account.
    struct World {
        let hub: HubTestServer
        let apiKey: String
        let subkey: String
        let records: [[String: Any]]
    }

    static func world(_ database: TestDatabase) throws -> World {
        let hub = try HubTestServer("web", database: database)
        let apiKey = try hub.addAccount("web@example.com")
        _ = try hub.addAccount("other@example.com")
        try hub.addFileRegion("local", lat: 50, lon: 8, isDefault: true)
        try hub.start()
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        let subkey = try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String)
        let auth = [(name: "subkey", value: subkey)]
        var records: [[String: Any]] = []
        for (server, profile) in [("web-1", "turnkey-wordpress-18.0"), ("db-<b>2</b>", "<script>alert(1)</script>")] {
            let created = try hub.call(
                "POST", "/api/backup/record/create/", form: ["key": TestKeys.protected, "turnkey_version": profile, "server_id": server], headers: auth)
            records.append(try #require(try HubTestServer.json(created) as? [String: Any]))
        }
        // The first backup has a full and an incremental session stored.
        let address = records[0]["address"] as! String
        let dir = String(address.dropFirst("file://".count))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in [
            "duplicity-full.20260101T010203Z.vol1.difftar.gpg", "duplicity-full.20260101T010203Z.manifest.gpg",
            "duplicity-full-signatures.20260101T010203Z.sigtar.gpg",
            "duplicity-inc.20260101T010203Z.to.20260102T010203Z.vol1.difftar.gpg",
            "duplicity-inc.20260101T010203Z.to.20260102T010203Z.manifest.gpg",
        ] {
            try Data(count: 2048).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        _ = try hub.call("PUT", "/api/backup/record/update/", form: ["backup_id": records[0]["backup_id"] as! String, "address": address], headers: auth)
        _ = try hub.call("PUT", "/api/backup/record/\(records[1]["backup_id"] as! String)/inprogress/", form: ["bool": "true"], headers: auth)
        return World(hub: hub, apiKey: apiKey, subkey: subkey, records: records)
    }

    static func signIn(_ hub: HubTestServer, email: String, apiKey: String) throws -> WebClient {
        let web = WebClient(base: hub.baseURL)
        let form = try web.get("/signin")
        let csrf = try #require(WebClient.hiddenField("csrf", in: form.bodyText))
        let r = try web.post("/signin", ["email": email, "apikey": apiKey, "csrf": csrf])
        #expect(r.status == 303, "\(r.bodyText)")
        #expect(r.header("Location") == "/servers")
        return web
    }

    @Test("sign in: API key + email, HttpOnly SameSite=Strict session cookie, CSRF on the form", arguments: TestDatabase.allCases)
    func signIn(database: TestDatabase) throws {
        let w = try Self.world(database)
        let web = WebClient(base: w.hub.baseURL)
        var r = try web.get("/servers")
        #expect(r.status == 303)
        #expect(r.header("Location") == "/signin")

        r = try web.get("/signin")
        #expect(r.status == 200)
        #expect(web.lastSetCookies.first?.contains("HttpOnly") == true)
        #expect(web.lastSetCookies.first?.contains("SameSite=Strict") == true)
        let csrf = try #require(WebClient.hiddenField("csrf", in: r.bodyText))

        r = try web.post("/signin", ["email": "web@example.com", "apikey": w.apiKey])
        #expect(r.status == 403)
        r = try web.post("/signin", ["email": "web@example.com", "apikey": "WRONG", "csrf": csrf])
        #expect(r.status == 401)
        #expect(r.bodyText.contains("Unknown email or API key"))
        r = try web.post(
            "/signin",
            [
                "email": "other@example.com", "apikey": w.apiKey,
                "csrf": WebClient.hiddenField("csrf", in: r.bodyText) ?? "",
            ])
        #expect(r.status == 401)

        let signed = try Self.signIn(w.hub, email: "WEB@example.com", apiKey: w.apiKey)
        let session = try #require(signed.lastSetCookies.first { $0.hasPrefix("bam_hub_session=") })
        #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
        #expect(try signed.get("/servers").status == 200)

        // Sign out needs the CSRF token, then ends the session.
        let page = try signed.get("/servers").bodyText
        #expect(try signed.post("/signout", [:]).status == 403)
        #expect(try signed.post("/signout", ["csrf": WebClient.hiddenField("csrf", in: page) ?? ""]).status == 303)
        #expect(try signed.get("/servers").status == 303)
    }

    @Test("servers, backup detail, key download; output is HTML-escaped", arguments: TestDatabase.allCases)
    func pages(database: TestDatabase) throws {
        let w = try Self.world(database)
        let web = try Self.signIn(w.hub, email: "web@example.com", apiKey: w.apiKey)
        let servers = try web.get("/servers")
        #expect(servers.status == 200)
        let html = servers.bodyText
        #expect(servers.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(html.contains("Server web-1"))
        #expect(html.contains("1 full, 1 incremental"))
        #expect(html.contains("10.0 KiB"))
        #expect(html.contains("backup in progress"))
        #expect(html.contains("turnkey-wordpress-18.0"))
        #expect(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("db-<b>2</b>"))

        let id = w.records[0]["backup_id"] as! String
        let detail = try web.get("/backups/\(id)").bodyText
        #expect(detail.contains("2026-01-01 01:02:03"))
        #expect(detail.contains("2026-01-02 01:02:03"))
        #expect(detail.contains(">full<") && detail.contains(">incremental<"))
        #expect(detail.contains(try KeyPacket.fingerprint(ofPacket: TestKeys.protected)))
        #expect(detail.contains("10240 bytes"))

        let key = try web.get("/backups/\(id)/key")
        #expect(key.status == 200)
        #expect(key.bodyText == TestKeys.protected)
        #expect(key.header("Content-Disposition")?.contains("attachment") == true)

        // Another account sees none of it.
        let otherKey = try w.hub.addAccount("third@example.com")
        let other = try Self.signIn(w.hub, email: "third@example.com", apiKey: otherKey)
        #expect(try other.get("/backups/\(id)").status == 404)
        #expect(try other.get("/backups/\(id)/key").status == 404)
        #expect(!(try other.get("/servers").bodyText.contains("web-1")))
    }

    @Test("deleting a backup asks first, needs the CSRF token, and removes its volumes", arguments: TestDatabase.allCases)
    func deleteBackup(database: TestDatabase) throws {
        let w = try Self.world(database)
        let web = try Self.signIn(w.hub, email: "web@example.com", apiKey: w.apiKey)
        let id = w.records[0]["backup_id"] as! String
        let dir = String((w.records[0]["address"] as! String).dropFirst("file://".count))
        let confirm = try web.get("/backups/\(id)/delete")
        #expect(confirm.status == 200)
        #expect(confirm.bodyText.contains("cannot be undone"))
        let csrf = try #require(WebClient.hiddenField("csrf", in: confirm.bodyText))

        #expect(try web.post("/backups/\(id)/delete", ["csrf": "forged"]).status == 403)
        #expect(FileManager.default.fileExists(atPath: dir + "/duplicity-full.20260101T010203Z.manifest.gpg"))

        // A backup writing to the target holds its lock: the deletion waits.
        let now = Int64(Date().timeIntervalSince1970)
        let writer =
            "bam target lock 1\nid=0123456789abcdef0123456789abcdef\nhost=web-1.example\nboot=\npid=812\n"
            + "operation=backup\nprogram=bam 0.1.0\nstarted=\(now - 60)\nheartbeat=\(now - 5)\n"
        try Posix.writeFileAtomically(dir + "/" + TargetLock.objectName, Array(writer.utf8), mode: 0o600)
        let busy = try web.post("/backups/\(id)/delete", ["csrf": csrf])
        #expect(busy.status == 409)
        #expect(busy.bodyText.contains("pid 812 on web-1.example"), "\(busy.bodyText)")
        #expect(FileManager.default.fileExists(atPath: dir + "/duplicity-full.20260101T010203Z.manifest.gpg"))
        try Posix.removeTree(Array((dir + "/" + TargetLock.objectName).utf8))

        let r = try web.post("/backups/\(id)/delete", ["csrf": csrf])
        #expect(r.status == 303)
        #expect(!FileManager.default.fileExists(atPath: dir))
        let api = try w.hub.call("GET", "/api/backup/record/\(id)/", headers: [(name: "subkey", value: w.subkey)])
        #expect(api.status == 404)
        #expect(!(try web.get("/servers").bodyText.contains("Server web-1")))
    }

    @Test("API key rotation: the new key works, the old one stops; appliances keep their subkeys", arguments: TestDatabase.allCases)
    func rotateApiKey(database: TestDatabase) throws {
        let w = try Self.world(database)
        let web = try Self.signIn(w.hub, email: "web@example.com", apiKey: w.apiKey)
        let page = try web.get("/account").bodyText
        let csrf = try #require(WebClient.hiddenField("csrf", in: page))
        #expect(try web.post("/account/apikey", [:]).status == 403)
        let r = try web.post("/account/apikey", ["csrf": csrf])
        #expect(r.status == 200)
        let html = r.bodyText
        let start = try #require(html.range(of: "<code id=\"new-apikey\">"))
        let newKey = String(html[start.upperBound...].prefix { $0 != "<" })
        #expect(APIKeyFormatTests.originalClientAccepts(newKey) && newKey != w.apiKey, "\(newKey)")
        #expect(try w.hub.call("GET", "/api/backup/subkey/", form: ["apikey": w.apiKey]).status == 401)
        #expect(try w.hub.call("GET", "/api/backup/subkey/", form: ["apikey": newKey]).status == 200)
        #expect(try w.hub.call("GET", "/api/backup/records/", headers: [(name: "subkey", value: w.subkey)]).status == 200)
    }

    @Test("a quote fused with a combining mark stays inside its attribute; control bytes show as \\xNN")
    func fusedQuoteInAttribute() throws {
        let hub = try HubTestServer("web-escape", database: .sqlite)
        try hub.start()
        let web = WebClient(base: hub.baseURL)
        let csrf = try #require(WebClient.hiddenField("csrf", in: try web.get("/signin").bodyText))
        // The sign-in page shows the email it was given back in value="…".
        let r = try web.post("/signin", ["email": "x\"\u{301} autofocus onfocus=alert(1) y=\"\u{1B}[2J", "apikey": "WRONG", "csrf": csrf])
        #expect(r.status == 401)
        // (Outside #expect: its macro mangles a literal with a fused quote.)
        let page = Array(r.bodyText.utf8)
        let fusedQuote = Array("\"\u{301}".utf8)
        let shown = Array("value=\"x\u{FFFD}\u{301} autofocus onfocus=alert(1) y=&quot;\\x1B[2J\"".utf8)
        #expect(page.firstRange(of: fusedQuote) == nil, "an unescaped quote reached the page:\n\(r.bodyText)")
        #expect(page.firstRange(of: shown) != nil, "\(r.bodyText)")
    }
}
