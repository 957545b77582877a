import BamTestSupport
import BamEngine
@testable import BamHub
import Foundation
import Testing

/// The same checks of `HubStore` on SQLite and on PostgreSQL.
@Suite("Hub store")
struct StoreTests {
    static func store(_ kind: TestDatabase) throws -> (SQLStore, String) {
        var template = Array("/tmp/bam-hub-store-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        let store = try SQLStore(database: try kind.make(in: dir))
        try store.migrate()
        try store.migrate()  // idempotent
        return (store, dir)
    }

    @Test("accounts, subkeys, regions, records, profiles, sessions", .needs(.databases), arguments: TestDatabase.allCases)
    func roundTrip(kind: TestDatabase) throws {
        let (store, dir) = try Self.store(kind)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let a = try store.addAccount(email: "a@example.com", apiKeyHash: "h1", storageToken: "t1", now: 100)
        let b = try store.addAccount(email: "b@example.com", apiKeyHash: "h2", storageToken: "t2", now: 100)
        #expect(throws: HubStoreError.self) { try store.addAccount(email: "a@example.com", apiKeyHash: "h3", storageToken: "t3", now: 1) }
        #expect(try store.account(apiKeyHash: "h1") == a)
        #expect(try store.account(email: "b@example.com") == b)
        try store.setApiKeyHash(accountId: a.id, hash: "h1b")
        #expect(try store.account(apiKeyHash: "h1") == nil)
        #expect(try store.account(apiKeyHash: "h1b")?.id == a.id)

        try store.addSubkey(hash: "s1", accountId: a.id, now: 5)
        try store.addSubkey(hash: "s1", accountId: a.id, now: 6)
        #expect(try store.account(subkeyHash: "s1")?.id == a.id)
        #expect(try store.account(subkeyHash: "nope") == nil)

        try store.addRegion(Region(name: "eu", endpoint: "file:///x", bucket: "b", latitude: 50.5, longitude: -8.25, isDefault: true))
        try store.addRegion(
            Region(
                name: "us", endpoint: "https://s3.example.com", bucket: "b", latitude: 1, longitude: 2,
                accessKey: "AK", secretKey: "SK", stsRole: "arn:aws:iam::1:role/r", isDefault: true))
        let regions = try store.regions()
        #expect(regions.map(\.name) == ["eu", "us"])
        #expect(regions[0].latitude == 50.5 && regions[0].longitude == -8.25)
        #expect(regions.filter(\.isDefault).map(\.name) == ["us"])  // one default at a time
        #expect(regions[1].secretKey == "SK" && regions[1].stsRole == "arn:aws:iam::1:role/r")

        let key = String(repeating: "k", count: 5000) + "'\"; DROP TABLE records; --"
        let template = BackupRecord(
            id: 0, accountId: a.id, address: "file:///x/b/p", key: key, serverId: "s", turnkeyVersion: "tv",
            created: 10, updated: 10, size: 0, description: "d ü", inProgress: false, skpp: true,
            regionName: "eu", storagePrefix: "bam/t1/p")
        var r1 = try store.createRecord(template)
        let r2 = try store.createRecord(template)
        #expect(r1.id != r2.id && r1.id > 0)
        #expect(try store.record(id: r1.id, accountId: a.id) == r1)
        #expect(try store.record(id: r1.id, accountId: b.id) == nil)
        #expect(try store.records(accountId: a.id).map(\.id) == [r1.id, r2.id])
        #expect(try store.records(accountId: b.id).isEmpty)
        #expect(try store.latestRecord(accountId: a.id) == r2)
        #expect(try store.latestRecord(accountId: b.id) == nil)
        #expect(try store.recordCount(accountId: a.id) == 2)
        #expect(try store.records(accountId: a.id, limit: 1, offset: 1).map(\.id) == [r2.id])
        #expect(try store.records(accountId: a.id, limit: 5, offset: 2).isEmpty)
        r1.size = 5_000_000_000
        r1.inProgress = true
        r1.updated = 20
        try store.updateRecord(r1)
        #expect(try store.record(id: r1.id, accountId: a.id) == r1)
        var forged = r2
        forged.accountId = b.id
        forged.key = "stolen"
        try store.updateRecord(forged)  // the WHERE keeps other accounts out
        #expect(try store.record(id: r2.id, accountId: a.id)?.key == key)
        try store.deleteRecord(id: r2.id, accountId: b.id)
        #expect(try store.record(id: r2.id, accountId: a.id) != nil)
        try store.deleteRecord(id: r2.id, accountId: a.id)
        #expect(try store.record(id: r2.id, accountId: a.id) == nil)

        // An account's IAM user per region: one per (account, region).
        #expect(try store.accountUser(accountId: a.id, region: "us") == nil)
        try store.setAccountUser(accountId: a.id, region: "us", userName: "bam-t1-all-us", accessKey: "AKA", secretKey: "SKA")
        // A second one (a process whose claim was taken over) changes nothing.
        try store.setAccountUser(accountId: a.id, region: "us", userName: "again", accessKey: "X", secretKey: "Y")
        let user = try #require(try store.accountUser(accountId: a.id, region: "us"))
        #expect(user.userName == "bam-t1-all-us" && user.credentials == S3Credentials(accessKey: "AKA", secretKey: "SKA"))
        #expect(try store.accountUser(accountId: b.id, region: "us") == nil)
        #expect(try store.accountUser(accountId: a.id, region: "eu") == nil)
        // Creating it is claimed by one caller at a time; a stale claim can be taken over.
        #expect(try store.claimAccountUser(accountId: a.id, region: "eu", now: 100, staleBefore: 0))
        #expect(try !store.claimAccountUser(accountId: a.id, region: "eu", now: 101, staleBefore: 0))
        #expect(try store.claimAccountUser(accountId: b.id, region: "eu", now: 101, staleBefore: 0))
        #expect(try store.claimAccountUser(accountId: a.id, region: "eu", now: 300, staleBefore: 180))
        #expect(try !store.claimAccountUser(accountId: a.id, region: "eu", now: 301, staleBefore: 180))
        try store.releaseAccountUserClaim(accountId: a.id, region: "eu")
        #expect(try store.claimAccountUser(accountId: a.id, region: "eu", now: 302, staleBefore: 180))

        let bytes: [UInt8] = (0..<300).map { UInt8($0 % 256) }
        try store.putProfile(ProfileArchive(profileId: "p1", timestamp: 7, content: bytes))
        try store.putProfile(ProfileArchive(profileId: "p1", timestamp: 8, content: bytes + [1]))
        #expect(try store.profile(id: "p1") == ProfileArchive(profileId: "p1", timestamp: 8, content: bytes + [1]))
        #expect(try store.profile(id: "p2") == nil)
        #expect(try store.profileIds() == ["p1"])

        try store.addSession(tokenHash: "t", session: WebSession(accountId: a.id, csrfToken: "c", expires: 1000))
        #expect(try store.session(tokenHash: "t", now: 999)?.csrfToken == "c")
        #expect(try store.session(tokenHash: "t", now: 1000) == nil)
        try store.deleteSession(tokenHash: "t")
        #expect(try store.session(tokenHash: "t", now: 1) == nil)
    }

    /// Several `bam-hub serve` started at once on a new database each
    /// create the schema: none may fail on another's half-made tables.
    @Test("processes migrating one new PostgreSQL database at once all succeed", .needs(.databases))
    func concurrentMigrations() throws {
        for _ in 0..<5 {
            let database = try TestPostgres.get().makeDatabase()
            let failures = NSLock()
            nonisolated(unsafe) var errors: [String] = []
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { try SQLStore(database: database).migrate() } catch { failures.withLock { errors.append("\(error)") } }
            }
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    @Test("bad --database values are reported without their password")
    func badDatabase() throws {
        #expect(throws: SQLError.self) { try SQLStore(database: "mysql://x") }
        do {
            _ = try SQLStore(database: "postgres://u:hunter2@127.0.0.1:1/db")
            Issue.record("connected to nothing")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
            #expect("\(error)".contains("***"))
        }
    }
}
