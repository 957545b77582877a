import BamEngine
@testable import BamHub
import BamTestSupport
import Foundation
import Testing

/// Retention policies in the Hub's store, on SQLite and PostgreSQL: one per
/// account, an override per record, and a database made before they
/// existed gaining them without losing anything.
@Suite("Hub store: retention policies")
struct RetentionStoreTests {
    static func record(_ accountId: Int64) -> BackupRecord {
        BackupRecord(
            id: 0, accountId: accountId, address: "file:///x/b/p", key: "k", serverId: "s", turnkeyVersion: "tv",
            created: 10, updated: 10, size: 0, description: "d", inProgress: false, skpp: false,
            regionName: "eu", storagePrefix: "bam/t/p")
    }

    @Test("per account and per record, another account's untouched", .needs(.databases), arguments: TestDatabase.allCases)
    func policies(kind: TestDatabase) throws {
        let (store, dir) = try StoreTests.store(kind)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try store.addAccount(email: "a@example.com", apiKeyHash: "h1", storageToken: "t1", now: 1)
        let b = try store.addAccount(email: "b@example.com", apiKeyHash: "h2", storageToken: "t2", now: 1)
        let r = try store.createRecord(Self.record(a.id))

        #expect(try store.retention(accountId: a.id) == nil, "a new account keeps everything")
        let policy = RetentionPolicy(keepFull: 3, keepWithin: .olderThan(count: 2, unit: .month))
        try store.setRetention(accountId: a.id, policy: policy, now: 5)
        #expect(try store.retention(accountId: a.id) == policy)
        #expect(try store.retention(accountId: b.id) == nil)
        try store.setRetention(accountId: a.id, policy: RetentionPolicy(keepWithin: .olderThan(count: 10, unit: .day)), now: 6)
        #expect(try store.retention(accountId: a.id) == RetentionPolicy(keepWithin: .olderThan(count: 10, unit: .day)))
        try store.setRetention(accountId: a.id, policy: RetentionPolicy(), now: 7)
        #expect(try store.retention(accountId: a.id) == RetentionPolicy(), "set back to keep everything")

        #expect(try store.retention(recordId: r.id, accountId: a.id) == nil)
        try store.setRetention(recordId: r.id, accountId: a.id, policy: RetentionPolicy(keepFull: 1), now: 8)
        #expect(try store.retention(recordId: r.id, accountId: a.id) == RetentionPolicy(keepFull: 1))
        // Another account can neither read nor change the record's policy.
        #expect(try store.retention(recordId: r.id, accountId: b.id) == nil)
        try store.setRetention(recordId: r.id, accountId: b.id, policy: RetentionPolicy(keepFull: 9), now: 9)
        try store.setRetention(recordId: r.id, accountId: b.id, policy: nil, now: 9)
        #expect(try store.retention(recordId: r.id, accountId: a.id) == RetentionPolicy(keepFull: 1))
        try store.setRetention(recordId: r.id, accountId: a.id, policy: nil, now: 10)
        #expect(try store.retention(recordId: r.id, accountId: a.id) == nil, "back to the account's")

        // The override goes with its record.
        try store.setRetention(recordId: r.id, accountId: a.id, policy: RetentionPolicy(keepFull: 2), now: 11)
        try store.deleteRecord(id: r.id, accountId: a.id)
        #expect(try store.run("SELECT COUNT(*) FROM record_retention").first?[0].integer == 0)

        // A row edited by hand into something conf would refuse is an error, not a rule.
        _ = try store.run("UPDATE account_retention SET keep_within = 'forever' WHERE account_id = ?", [.integer(a.id)])
        #expect(throws: HubStoreError.self) { try store.retention(accountId: a.id) }
        _ = try store.run("UPDATE account_retention SET keep_within = NULL, keep_full = 0 WHERE account_id = ?", [.integer(a.id)])
        #expect(throws: HubStoreError.self) { try store.retention(accountId: a.id) }
    }

    @Test("a database from before retention gains it on migrate, its accounts and records intact", .needs(.databases), arguments: TestDatabase.allCases)
    func migratesOlderDatabase(kind: TestDatabase) throws {
        var template = Array("/tmp/bam-hub-store-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try kind.make(in: dir)
        let old = try SQLStore(database: database)
        try old.migrate()
        // What the schema was before: without the retention tables.
        _ = try old.run("DROP TABLE record_retention")
        _ = try old.run("DROP TABLE account_retention")
        let a = try old.addAccount(email: "a@example.com", apiKeyHash: "h1", storageToken: "t1", now: 1)
        var r = try old.createRecord(Self.record(a.id))
        r.size = 4096
        try old.updateRecord(r)
        #expect(throws: (any Error).self) { try old.retention(accountId: a.id) }

        let upgraded = try SQLStore(database: database)
        try upgraded.migrate()
        #expect(try upgraded.account(id: a.id) == a)
        #expect(try upgraded.record(id: r.id, accountId: a.id) == r)
        #expect(try upgraded.retention(accountId: a.id) == nil, "existing accounts keep everything")
        try upgraded.setRetention(accountId: a.id, policy: RetentionPolicy(keepFull: 4), now: 2)
        try upgraded.setRetention(recordId: r.id, accountId: a.id, policy: RetentionPolicy(keepFull: 5), now: 2)
        try upgraded.migrate()  // idempotent: what was set stays
        #expect(try upgraded.retention(accountId: a.id) == RetentionPolicy(keepFull: 4))
        #expect(try upgraded.retention(recordId: r.id, accountId: a.id) == RetentionPolicy(keepFull: 5))
    }
}
