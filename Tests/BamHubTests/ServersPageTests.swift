import BamEngine
import BamHub
import Foundation
import HTTPTypes
import Testing

/// The servers page of an account of a thousand servers: shown a page at a
/// time, in a bounded number of queries, with a `page` parameter that
/// refuses what is not a page number.
@Suite("Hub servers page at scale")
struct ServersPageTests {
    static let records = 1_000

    /// An account with `records` backups, one server each, inserted in one
    /// statement (the API would take a minute).
    static func bigAccount(_ database: TestDatabase) async throws -> (InProcessHub, cookie: String) {
        let hub = try await InProcessHub("pages", database: database)
        try hub.addFileRegion("local")
        let apiKey = try hub.addAccount("fleet@example.com")
        let account = try #require(try hub.store.account(email: "fleet@example.com"))
        let padded = database == .sqlite ? "substr('0000' || i, -4, 4)" : "lpad(i::text, 4, '0')"
        try DatabaseURL.open(hub.database).executeScript(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(records))
            INSERT INTO records (account_id, address, key, server_id, turnkey_version, created, updated, region, storage_prefix)
            SELECT \(account.id), 'file:///nonexistent/rec' || i, 'KEY', 'srv-' || \(padded), 'core-18.0', 0, 0,
                   'local', 'bam/x/rec' || i FROM n
            """)
        return (hub, try await hub.signIn(email: "fleet@example.com", apiKey: apiKey))
    }

    static func get(_ hub: InProcessHub, _ path: String, cookie: String) async throws -> HubInProcessClient.Response {
        var fields = HTTPFields()
        fields[.cookie] = cookie
        return try await hub.client.call(.get, path, headers: fields)
    }

    @Test("1,000 backups: page 1 of 20 with a next link, in a bounded number of queries", arguments: TestDatabase.inThisRun)
    func firstPage(database: TestDatabase) async throws {
        let (hub, cookie) = try await Self.bigAccount(database)
        let before = hub.queries.total
        let r = try await Self.get(hub, "/servers", cookie: cookie)
        let queries = hub.queries.total - before
        #expect(r.status == 200)
        let html = r.bodyText
        #expect(html.contains("Page 1 of 20 (1000 backups)"))
        #expect(html.contains("href=\"/servers?page=2\""))
        #expect(!html.contains("id=\"previous-page\""))
        #expect(html.components(separatedBy: "<tr id=\"backup-").count - 1 == 50)
        #expect(html.contains("Server srv-0001") && html.contains("Server srv-0050") && !html.contains("Server srv-0051"))
        // Session, account, count, page, regions, the account's and the
        // records' retention policies: never one per backup.
        #expect(queries <= 8, "\(queries) queries for one page")

        let last = try await Self.get(hub, "/servers?page=20", cookie: cookie)
        #expect(last.status == 200)
        #expect(last.bodyText.contains("Page 20 of 20"))
        #expect(last.bodyText.contains("href=\"/servers?page=19\""))
        #expect(!last.bodyText.contains("id=\"next-page\""))
        #expect(last.bodyText.contains("Server srv-1000"))
    }

    @Test("a page parameter that is not a page number is refused, never trusted")
    func hostilePage() async throws {
        let (hub, cookie) = try await Self.bigAccount(.sqlite)
        for bad in ["0", "-1", "abc", "1e3", "%2B1", "%20", "", "99999999999999999999999", "١", "1.5", "0x10"] {
            let r = try await Self.get(hub, "/servers?page=\(bad)", cookie: cookie)
            #expect(r.status == 400, "page=\(bad): \(r.status) \(r.bodyText)")
            #expect(r.bodyText.contains("page"))
        }
        for beyond in ["21", "999999999"] {
            #expect(try await Self.get(hub, "/servers?page=\(beyond)", cookie: cookie).status == 404)
        }
        // An empty account has one (empty) page.
        let apiKey = try hub.addAccount("empty@example.com")
        let empty = try await hub.signIn(email: "empty@example.com", apiKey: apiKey)
        #expect(try await Self.get(hub, "/servers?page=1", cookie: empty).status == 200)
        #expect(try await Self.get(hub, "/servers?page=2", cookie: empty).status == 404)
    }
}
