import BamEngine
@testable import BamHub
import Foundation
import Testing

/// The Hub hands its retention policy to bam in the record answers bam
/// reads before each backup, and never to the original client, whose
/// answers keep the original Hub's fields.
@Suite("Hub API routes: retention")
struct RetentionRouteTests {
    static let originalRecordFields: Set<String> = [
        "backup_id", "address", "key", "server_id", "turnkey_version", "date_created", "date_updated", "size", "description",
    ]

    @Test("bam's record answers carry the policy that applies; the original client's do not", arguments: TestDatabase.inThisRun)
    func recordAnswers(database: TestDatabase) async throws {
        let hub = try await InProcessHub("retention", database: database)
        let apiKey = try hub.addAccount("ret@example.com")
        try hub.addFileRegion("local")
        let account = try #require(try hub.store.account(email: "ret@example.com"))
        let auth = [(name: "subkey", value: try await hub.subkey(apiKey))]

        func object(_ r: HubInProcessClient.Response) throws -> [String: Any] {
            #expect(r.status == 200, "\(r.bodyText)")
            return try #require(try InProcessHub.json(r) as? [String: Any])
        }
        let created = try object(
            try await hub.call(.post, "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth))
        let id = try #require(created["backup_id"] as? String)
        #expect((created["retention"] as? [String: Any])?.isEmpty == true, "no policy: {} keeps everything; \(created)")

        try hub.store.setRetention(
            accountId: account.id, policy: RetentionPolicy(keepFull: 2, keepWithin: .olderThan(count: 3, unit: .month)), now: 1)
        var record = try object(try await hub.call(.get, "/api/backup/record/\(id)/", headers: auth))
        var retention = try #require(record["retention"] as? [String: Any])
        #expect(retention["keep_full"] as? Int == 2)
        #expect(retention["keep_within"] as? String == "3M")
        // The client parses it into the policy it applies.
        #expect(try HubRecord(json: record, call: "test").retention == RetentionPolicy(keepFull: 2, keepWithin: .olderThan(count: 3, unit: .month)))

        // A record's own policy wins over the account's.
        try hub.store.setRetention(recordId: Int64(id)!, accountId: account.id, policy: RetentionPolicy(keepFull: 5), now: 2)
        record = try object(try await hub.call(.get, "/api/backup/record/\(id)/", headers: auth))
        retention = try #require(record["retention"] as? [String: Any])
        #expect(retention["keep_full"] as? Int == 5 && retention["keep_within"] == nil, "\(retention)")

        // The update after a backup answers with it too.
        let address = try #require(created["address"] as? String)
        let updated = try object(
            try await hub.call(.put, "/api/backup/record/update/", form: ["backup_id": id, "address": address], headers: auth))
        #expect((updated["retention"] as? [String: Any])?["keep_full"] as? Int == 5)

        // The original client: exactly the original Hub's fields, no policy.
        let original = try object(try await hub.call(.get, "/api/backup/record/\(id)/", headers: auth, asOriginalClient: true))
        #expect(Set(original.keys) == Self.originalRecordFields, "\(original.keys.sorted())")
        let list = try #require(
            try InProcessHub.json(try await hub.call(.get, "/api/backup/records/", headers: auth, asOriginalClient: true)) as? [[String: Any]])
        #expect(list.allSatisfy { Set($0.keys) == Self.originalRecordFields })
    }

    @Test("a policy in a Hub's answer that conf would refuse fails the call, naming the record")
    func hostilePolicy() throws {
        let base: [String: Any] = ["backup_id": "7", "address": "file:///x"]
        for bad: Any in [["keep_full": 0], ["keep_full": "many"], ["keep_within": "now"], ["keep_within": 3], "keep-full 1", ["keep_full": 2.5]] {
            var json = base
            json["retention"] = bad
            do {
                let parsed = try HubRecord(json: json, call: "GET record/7/")
                Issue.record("accepted \(bad): \(String(describing: parsed.retention))")
            } catch let error as HubError {
                #expect("\(error)".contains("record 7") && "\(error)".contains("retention"), "\(error)")
            }
        }
        #expect(try HubRecord(json: base, call: "x").retention == nil, "an older Hub says nothing")
    }
}
