import BamHub
import Foundation
import Testing

/// What the API's routes answer, in-process (`InProcessHub`): the same
/// router and store as `bam-hub serve`, without a socket. On SQLite and
/// on a PostgreSQL server the run starts.
@Suite("Hub API routes")
struct APIRouteTests {
    @Test("errors: names and statuses of the original Hub", arguments: TestDatabase.inThisRun)
    func errors(database: TestDatabase) async throws {
        let hub = try await InProcessHub("errors", database: database)
        let apiKey = try hub.addAccount("bob@example.com")
        try hub.addFileRegion("local")

        var r = try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": "WRONG"])
        #expect(r.status == 401)
        #expect(r.bodyText.hasPrefix("HubAccount.InvalidApiKey:"))
        r = try await hub.call(.get, "/api/backup/subkey/")
        #expect(r.status == 400)
        #expect(r.bodyText.hasPrefix("Request.MissingArgument:"))
        r = try await hub.call(.get, "/api/backup/records/")
        #expect(r.status == 401)
        #expect(r.bodyText.hasPrefix("BackupAccount.InvalidSubKey:"))
        r = try await hub.call(.get, "/api/backup/records/", headers: [(name: "subkey", value: "NOPE")])
        #expect(r.bodyText.hasPrefix("BackupAccount.InvalidSubKey:"))

        let auth = [(name: "subkey", value: try await hub.subkey(apiKey))]
        r = try await hub.call(.get, "/api/backup/record/999/", headers: auth)
        #expect(r.status == 404)
        #expect(r.bodyText.hasPrefix("BackupRecord.NotFound:"))
        r = try await hub.call(.get, "/api/backup/archive/timestamp/", form: ["turnkey_version": "nosuch"], headers: auth)
        #expect(r.status == 404)
        #expect(r.bodyText.hasPrefix("BackupArchive.NotFound:"))
        r = try await hub.call(.post, "/api/backup/record/create/", form: ["turnkey_version": "x"], headers: auth)
        #expect(r.status == 400)
        #expect(r.bodyText.hasPrefix("Request.MissingArgument: missing argument key"))
        r = try await hub.call(.post, "/api/backup/record/create/", form: ["turnkey_version": "x", "key": "not a key"], headers: auth)
        #expect(r.status == 400)
        r = try await hub.call(.put, "/api/backup/record/update/", form: ["backup_id": "1"], headers: auth)
        #expect(r.bodyText.hasPrefix("Request.MissingArgument: missing argument address"))
    }

    @Test("an appliance sees only its own account's records", arguments: TestDatabase.inThisRun)
    func isolation(database: TestDatabase) async throws {
        let hub = try await InProcessHub("isolation", database: database)
        let aliceKey = try hub.addAccount("alice@example.com")
        let malloryKey = try hub.addAccount("mallory@example.com")
        try hub.addFileRegion("local")
        let alice = [(name: "subkey", value: try await hub.subkey(aliceKey))]
        let mallory = [(name: "subkey", value: try await hub.subkey(malloryKey))]
        let r = try await hub.call(
            .post, "/api/backup/record/create/", form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: alice)
        #expect(r.status == 200, "\(r.bodyText)")
        let id = try #require((try InProcessHub.json(r) as? [String: Any])?["backup_id"] as? String)

        #expect(try await hub.call(.get, "/api/backup/record/\(id)/", headers: mallory).status == 404)
        #expect(try await hub.call(.put, "/api/backup/record/\(id)/", form: ["key": TestKeys.open], headers: mallory).status == 404)
        #expect(try await hub.call(.put, "/api/backup/record/\(id)/inprogress/", form: ["bool": "true"], headers: mallory).status == 404)
        #expect(
            try await hub.call(.put, "/api/backup/record/update/", form: ["backup_id": id, "address": "file:///tmp/x"], headers: mallory).status
                == 404)
        let list = try #require(try InProcessHub.json(try await hub.call(.get, "/api/backup/records/", headers: mallory)) as? [Any])
        #expect(list.isEmpty)
        // Alice's record is unchanged.
        let mine = try InProcessHub.json(try await hub.call(.get, "/api/backup/record/\(id)/", headers: alice)) as? [String: Any]
        #expect(mine?["key"] as? String == TestKeys.protected)
    }

    @Test("repeated bad API keys from one address are throttled; another address is not")
    func throttling() async throws {
        let hub = try await InProcessHub("throttle")
        let apiKey = try hub.addAccount("carol@example.com")
        for _ in 0..<10 {
            #expect(try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": "GUESS"], from: "192.0.2.7").status == 401)
        }
        let r = try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": apiKey], from: "192.0.2.7")
        #expect(r.status == 429)
        #expect(r.bodyText.hasPrefix("Request.Throttled:"))
        #expect(try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": apiKey], from: "192.0.2.8").status == 200)
    }

    /// The failures are in the database: a guesser spreading its tries over
    /// the Hub's processes gets no more of them.
    @Test("two Hub processes on one database throttle together", arguments: TestDatabase.inThisRun)
    func throttleAcrossInstances(database: TestDatabase) async throws {
        let hub = try await InProcessHub("throttle-shared", database: database)
        let apiKey = try hub.addAccount("dave@example.com")
        let other = try await hub.anotherInstance()
        for i in 0..<10 {
            let r = try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": "GUESS"], from: "198.51.100.9", via: i % 2 == 0 ? nil : other)
            #expect(r.status == 401)
        }
        for instance in [nil, other] {
            let r = try await hub.call(.get, "/api/backup/subkey/", form: ["apikey": apiKey], from: "198.51.100.9", via: instance)
            #expect(r.status == 429, "\(r.bodyText)")
        }
    }
}
