import BamTestSupport
import BamEngine
@testable import BamHub
import Foundation
import HTTP
import Testing

/// The API as the original TKLBAM client (Python 2, hub.py) sees it: the
/// same routes without bam's `X-Bam-Client` header. Its credential classes
/// take exactly the fields of their type (`Credentials.from_dict(**d)`), it
/// reads nine record fields, sends only `address` to `record/update/`,
/// never `backup_id` to `credentials/`, and parses errors as `Name:
/// description` after a non-2xx status.
@Suite("Hub API for the original client", .serialized)
struct OriginalClientAPITests {
    static let recordFields: Set<String> = [
        "backup_id", "address", "key", "server_id", "turnkey_version", "date_created", "date_updated", "size", "description",
    ]

    static func object(_ r: HTTPResponse) throws -> [String: Any] {
        #expect(r.isSuccess, "HTTP \(r.status): \(r.bodyText)")
        return try #require(try HubTestServer.json(r) as? [String: Any])
    }

    static func subkey(_ hub: HubTestServer, _ apiKey: String) throws -> [(name: String, value: String)] {
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey], asOriginalClient: true)
        return [(name: "subkey", value: try #require(try object(r)["subkey"] as? String))]
    }

    /// The original client's error parsing: `name, description = data.split(":", 1)`.
    static func originalError(_ r: HTTPResponse) -> (status: Int, name: String, description: String)? {
        guard !r.isSuccess, let colon = r.bodyText.firstIndex(of: ":") else { return nil }
        return (r.status, String(r.bodyText[..<colon]), String(r.bodyText[r.bodyText.index(after: colon)...]))
    }

    @Test("address forms: plain HTTP as s3://HOST:PORT for the original client; bam's parser reads both to the same place")
    func addressForms() throws {
        let bamForm = "s3+http://127.0.0.1:9000/hub-backups/bam/0011/aabb"
        let original = OriginalClientAddress.form(of: bamForm)
        #expect(original == "s3://127.0.0.1:9000/hub-backups/bam/0011/aabb")
        #expect(OriginalClientAddress.form(of: "s3://s3.eu-west-1.amazonaws.com/b/p") == "s3://s3.eu-west-1.amazonaws.com/b/p")
        #expect(OriginalClientAddress.form(of: "file:///srv/x/b/p") == "file:///srv/x/b/p")
        #expect(OriginalClientAddress.matches(original, bamForm) && OriginalClientAddress.matches(bamForm, bamForm))
        #expect(!OriginalClientAddress.matches("s3://127.0.0.1:9000/hub-backups/bam/0011/other", bamForm))
        let a = try S3Address(parsing: bamForm), b = try S3Address(parsing: original)
        #expect(a.scheme == .http && b.scheme == .https)
        #expect(a.host == b.host && a.port == b.port && a.bucket == b.bucket && a.prefix == b.prefix)
    }

    @Test("a file:// region: the original client gets an error naming the region kinds that serve it; bam gets type none")
    func fileRegionRefused() throws {
        let hub = try HubTestServer("orig-file", database: .sqlite)
        let apiKey = try hub.addAccount("file@example.com")
        try hub.addFileRegion("local", lat: 0, lon: 0, isDefault: true)
        try hub.start()
        let auth = try Self.subkey(hub, apiKey)
        for r in [
            try hub.call("GET", "/api/backup/credentials/", headers: auth, asOriginalClient: true),
            try hub.call(
                "POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth,
                asOriginalClient: true),
        ] {
            let error = try #require(Self.originalError(r), "\(r.status) \(r.bodyText)")
            #expect(error.status == 400)
            #expect(error.name == "Hub.UnsupportedRegion")
            #expect(error.description.contains("region local") && error.description.contains("file://"))
            #expect(error.description.contains("S3 regions (plain keys, --sts-role or --iam-users)"))
        }
        // Nothing was created for the refused client.
        #expect((try HubTestServer.json(try hub.call("GET", "/api/backup/records/", headers: auth)) as? [Any])?.isEmpty == true)
        let bam = try Self.object(try hub.call("GET", "/api/backup/credentials/", headers: auth))
        #expect(bam["type"] as? String == "none")
    }

    @Test("a file:// region beside an S3 one: the original client's records go to the S3 region")
    func originalClientsSkipFileRegions() throws {
        let hub = try HubTestServer("orig-mixed", database: .sqlite)
        let apiKey = try hub.addAccount("mixed@example.com")
        try hub.addFileRegion("local", lat: 0, lon: 0, isDefault: true)
        let add = try hub.admin(
            [
                "region", "add", "s3", "--endpoint", "http://127.0.0.1:9", "--bucket", "hub-backups", "--lat", "0", "--lon", "0",
                "--access-key", "AKIAPLAIN", "--secret-key-stdin",
            ], stdin: "plain-secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let auth = try Self.subkey(hub, apiKey)
        let created = try Self.object(
            try hub.call(
                "POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth,
                asOriginalClient: true))
        #expect((created["address"] as? String)?.hasPrefix("s3://127.0.0.1:9/hub-backups/bam/") == true, "\(created)")
        let bamCreated = try Self.object(
            try hub.call("POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth))
        #expect((bamCreated["address"] as? String)?.hasPrefix("file://") == true)
    }

    @Test("plain-key region: credentials and records in exactly the original's shape; bam gets its own")
    func shapes() throws {
        let hub = try HubTestServer("orig-shapes", database: .sqlite)
        let apiKey = try hub.addAccount("shapes@example.com")
        let add = try hub.admin(
            [
                "region", "add", "plain", "--endpoint", "http://127.0.0.1:9", "--bucket", "hub-backups", "--lat", "0", "--lon", "0",
                "--access-key", "AKIAPLAIN", "--secret-key-stdin", "--default",
            ], stdin: "plain-secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let auth = try Self.subkey(hub, apiKey)

        // IAMUser(accesskey, secretkey, sessiontoken): no expiration; the
        // token a string (the client puts it in the environment).
        let creds = try Self.object(try hub.call("GET", "/api/backup/credentials/", headers: auth, asOriginalClient: true))
        #expect(Set(creds.keys) == ["type", "accesskey", "secretkey", "sessiontoken"])
        #expect(creds["type"] as? String == "iamuser")
        #expect(creds["accesskey"] as? String == "AKIAPLAIN")
        #expect(creds["sessiontoken"] as? String == "")
        let bamCreds = try Self.object(try hub.call("GET", "/api/backup/credentials/", headers: auth))
        #expect(Set(bamCreds.keys) == ["type", "accesskey", "secretkey", "sessiontoken", "expiration"])

        // Records: the nine fields, the plain-HTTP address as s3://HOST:PORT.
        let created = try Self.object(
            try hub.call(
                "POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic", "server_id": "srv"],
                headers: auth, asOriginalClient: true))
        #expect(Set(created.keys) == Self.recordFields)
        let id = try #require(created["backup_id"] as? String)
        let address = try #require(created["address"] as? String)
        #expect(address.hasPrefix("s3://127.0.0.1:9/hub-backups/bam/"))
        let got = try Self.object(try hub.call("GET", "/api/backup/record/\(id)/", headers: auth, asOriginalClient: true))
        #expect(Set(got.keys) == Self.recordFields && got["address"] as? String == address)
        let rekeyed = try Self.object(
            try hub.call("PUT", "/api/backup/record/\(id)/", form: ["key": TestKeys.protected], headers: auth, asOriginalClient: true))
        #expect(Set(rekeyed.keys) == Self.recordFields)
        let list = try #require(
            try HubTestServer.json(try hub.call("GET", "/api/backup/records/", headers: auth, asOriginalClient: true)) as? [[String: Any]])
        #expect(list.count == 1 && Set(list[0].keys) == Self.recordFields && list[0]["address"] as? String == address)

        // bam sees the same record in its own form, with its extra fields.
        let bamRecord = try Self.object(try hub.call("GET", "/api/backup/record/\(id)/", headers: auth))
        #expect(bamRecord["address"] as? String == "s3+http://" + address.dropFirst("s3://".count))
        #expect(bamRecord["skpp"] as? Bool == true && bamRecord["inprogress"] as? Bool == false)
    }

    /// Records made through bam's shape in a file region, one backed up.
    private func fileHub(_ label: String) throws -> (HubTestServer, [(name: String, value: String)]) {
        let hub = try HubTestServer(label, database: .sqlite)
        let apiKey = try hub.addAccount("\(label)@example.com")
        try hub.addFileRegion("local", lat: 0, lon: 0, isDefault: true)
        try hub.start()
        return (hub, try Self.subkey(hub, apiKey))
    }

    private func create(_ hub: HubTestServer, _ auth: [(name: String, value: String)]) throws -> (id: String, address: String) {
        let created = try Self.object(
            try hub.call("POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth))
        return (try #require(created["backup_id"] as? String), try #require(created["address"] as? String))
    }

    @Test("record/update/ with only the address finds the account's record there and measures it")
    func updateByAddress() throws {
        let (hub, auth) = try fileHub("orig-update")
        let first = try create(hub, auth)
        let second = try create(hub, auth)
        try FileManager.default.createDirectory(atPath: String(second.address.dropFirst("file://".count)), withIntermediateDirectories: true)
        try Data(count: 777).write(
            to: URL(fileURLWithPath: String(second.address.dropFirst("file://".count)) + "/duplicity-full.20260101T000000Z.manifest.gpg"))
        let updated = try Self.object(
            try hub.call("PUT", "/api/backup/record/update/", form: ["address": second.address], headers: auth, asOriginalClient: true))
        #expect(updated["backup_id"] as? String == second.id)
        #expect(updated["size"] as? Int == 777)
        let untouched = try Self.object(try hub.call("GET", "/api/backup/record/\(first.id)/", headers: auth))
        #expect(untouched["size"] as? Int == 0)

        // A custom address (tklbam-backup --address) belongs to no record.
        let r = try hub.call("PUT", "/api/backup/record/update/", form: ["address": "file:///somewhere/else"], headers: auth, asOriginalClient: true)
        #expect(Self.originalError(r)?.name == "BackupRecord.NotFound")
        #expect(r.status == 404)

        // Another account's address is not found either.
        let otherKey = try hub.addAccount("other-update@example.com")
        let other = try Self.subkey(hub, otherKey)
        let foreign = try hub.call("PUT", "/api/backup/record/update/", form: ["address": second.address], headers: other, asOriginalClient: true)
        #expect(foreign.status == 404)
    }

    @Test("record/update/ when several records share the address: the most recently updated one")
    func updateByAddressAmbiguous() throws {
        let (hub, auth) = try fileHub("orig-ambiguous")
        let a = try create(hub, auth)
        let b = try create(hub, auth)
        let shared = "file:///srv/shared-target"
        // bam moved both records to one custom address, b first, then a.
        _ = try Self.object(try hub.call("PUT", "/api/backup/record/update/", form: ["backup_id": b.id, "address": shared], headers: auth))
        sleep(1)
        _ = try Self.object(try hub.call("PUT", "/api/backup/record/update/", form: ["backup_id": a.id, "address": shared], headers: auth))
        let chosen = try Self.object(
            try hub.call("PUT", "/api/backup/record/update/", form: ["address": shared], headers: auth, asOriginalClient: true))
        #expect(chosen["backup_id"] as? String == a.id)
    }
}
