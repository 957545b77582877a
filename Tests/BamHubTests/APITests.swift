import BamEngine
import BamHub
import Foundation
import HTTP
import Testing

/// The Hub API over HTTP against the real `bam-hub serve`, on SQLite and on
/// a PostgreSQL server the run starts.
@Suite("Hub API", .serialized)
struct APITests {
    private func subkey(_ hub: HubTestServer, _ apiKey: String) throws -> String {
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        #expect(r.status == 200, "\(r.bodyText)")
        return try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String)
    }

    private func record(_ r: HTTPResponse) throws -> [String: Any] {
        #expect(r.isSuccess, "HTTP \(r.status): \(r.bodyText)")
        return try #require(try HubTestServer.json(r) as? [String: Any])
    }

    @Test("records: create, get, update key, in progress, update address with size, list", arguments: TestDatabase.inThisRun)
    func recordLifecycle(database: TestDatabase) throws {
        let hub = try HubTestServer("api", database: database)
        let apiKey = try hub.addAccount("alice@example.com")
        try hub.addFileRegion("local", lat: 50, lon: 8, isDefault: true)
        try hub.start()
        let sk = try subkey(hub, apiKey)
        let auth = [(name: "subkey", value: sk)]

        // Create: the Hub chooses a file:// address under its region.
        let created = try record(
            try hub.call(
                "POST", "/api/backup/record/create/",
                form: [
                    "key": TestKeys.protected, "turnkey_version": "turnkey-core-18.0-bookworm-amd64", "server_id": "srv-1",
                ], headers: auth))
        let id = try #require(created["backup_id"] as? String)
        let address = try #require(created["address"] as? String)
        #expect(address.hasPrefix("file://\(hub.storageDirectory)/local/bam/"))
        #expect(created["server_id"] as? String == "srv-1")
        #expect(created["skpp"] as? Bool == true)
        #expect(created["inprogress"] as? Bool == false)
        #expect(created["size"] as? Int == 0)
        let dateCreated = try #require(created["date_created"] as? String)
        #expect(dateCreated.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)
        for field in ["key", "turnkey_version", "date_updated", "description"] { #expect(created[field] != nil, "\(field)") }

        // Get.
        let got = try record(try hub.call("GET", "/api/backup/record/\(id)/", headers: auth))
        #expect(got["address"] as? String == address)
        #expect(got["key"] as? String == TestKeys.protected)

        // Update key: a new packet, not passphrase-protected.
        let rekeyed = try record(try hub.call("PUT", "/api/backup/record/\(id)/", form: ["key": TestKeys.open], headers: auth))
        #expect(rekeyed["key"] as? String == TestKeys.open)
        #expect(rekeyed["skpp"] as? Bool == false)

        // In progress on, then off.
        var r = try hub.call("PUT", "/api/backup/record/\(id)/inprogress/", form: ["bool": "true"], headers: auth)
        #expect(r.status == 200, "\(r.bodyText)")
        #expect(try record(try hub.call("GET", "/api/backup/record/\(id)/", headers: auth))["inprogress"] as? Bool == true)
        r = try hub.call("PUT", "/api/backup/record/\(id)/inprogress/", form: ["bool": "maybe"], headers: auth)
        #expect(r.status == 400)

        // A backup writes volumes; update refreshes the size from storage.
        let dir = String(address.dropFirst("file://".count))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(count: 1000).write(to: URL(fileURLWithPath: dir + "/duplicity-full.20260101T000000Z.vol1.difftar.gpg"))
        try Data(count: 234).write(to: URL(fileURLWithPath: dir + "/duplicity-full.20260101T000000Z.manifest.gpg"))
        let updated = try record(try hub.call("PUT", "/api/backup/record/update/", form: ["backup_id": id, "address": address], headers: auth))
        #expect(updated["size"] as? Int == 1234)
        #expect(updated["inprogress"] as? Bool == false)

        // List.
        let list = try #require(try HubTestServer.json(try hub.call("GET", "/api/backup/records/", headers: auth)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["backup_id"] as? String == id)
        #expect(list.first?["size"] as? Int == 1234)

        // file:// regions hand out no credentials.
        let creds = try record(try hub.call("GET", "/api/backup/credentials/", headers: auth))
        #expect(creds["type"] as? String == "none")
        #expect(creds["accesskey"] as? String == "")
    }

    @Test("profiles: import a directory and a tar.gz, serve timestamp and URL-safe Base64 content", arguments: TestDatabase.inThisRun)
    func profiles(database: TestDatabase) throws {
        let hub = try HubTestServer("profiles", database: database)
        let apiKey = try hub.addAccount("dave@example.com")
        let profileDir = HubTestServer.packageRoot + "/Tests/Fixtures/tklbam-profiles/turnkey-drupal6-2009.10-hardy-x86"
        var r = try hub.admin(["profile", "import", profileDir])
        #expect(r.status == 0, "\(r.stderr)")
        // The same profile as a tar.gz under another id.
        let tarball = hub.directory + "/other-profile.tar.gz"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", profileDir, "-czf", tarball, "./dirindex.conf", "./dirindex", "./packages"]
        try tar.run()
        tar.waitUntilExit()
        r = try hub.admin(["profile", "import", tarball])
        #expect(r.status == 0, "\(r.stderr)")
        r = try hub.admin(["profile", "import", hub.directory])
        #expect(r.status == 64)
        #expect(r.stderr.contains("dirindex.conf is missing"))

        try hub.start()
        let auth = [(name: "subkey", value: try subkey(hub, apiKey))]
        for id in ["turnkey-drupal6-2009.10-hardy-x86", "other-profile"] {
            let ts = try record(try hub.call("GET", "/api/backup/archive/timestamp/", form: ["turnkey_version": id], headers: auth))
            #expect((ts["archive_timestamp"] as? Int ?? 0) > 1_700_000_000)
            let content = try record(try hub.call("GET", "/api/backup/archive/", form: ["turnkey_version": id], headers: auth))
            let text = try #require(content["archive_content"] as? String)
            #expect(!text.contains("+") && !text.contains("/"))
            let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            let bytes = try #require(Data(base64Encoded: standard))
            // Unpack it and compare with the source directory.
            let out = hub.directory + "/unpacked-\(id)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: out + ".tar.gz"))
            let untar = Process()
            untar.executableURL = URL(fileURLWithPath: "/bin/tar")
            untar.arguments = ["-C", out, "-xzf", out + ".tar.gz"]
            try untar.run()
            untar.waitUntilExit()
            for member in ["dirindex.conf", "dirindex", "packages"] {
                #expect(FileManager.default.contents(atPath: out + "/" + member) == FileManager.default.contents(atPath: profileDir + "/" + member))
            }
        }
    }

    @Test("admin commands check their input and change nothing on errors")
    func adminValidation() throws {
        let hub = try HubTestServer("admin", database: .sqlite)
        #expect(try hub.admin(["account", "add", "not-an-email"]).status == 64)
        _ = try hub.addAccount("erin@example.com")
        let dup = try hub.admin(["account", "add", "erin@example.com"])
        #expect(dup.status == 64)
        #expect(dup.stderr.contains("already exists"))
        var r = try hub.admin(["region", "add", "eu", "--endpoint", "ftp://x", "--bucket", "b", "--lat", "1", "--lon", "1"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--endpoint"))
        r = try hub.admin(
            [
                "region", "add", "eu", "--endpoint", "https://s3.example.com", "--bucket", "b", "--lat", "91", "--lon", "1",
                "--access-key", "AK",
            ], stdin: "")
        #expect(r.status != 0)
        r = try hub.admin(
            [
                "region", "add", "eu", "--endpoint", "https://s3.example.com", "--bucket", "b", "--lat", "50", "--lon", "8",
                "--access-key", "AKIAEXAMPLE", "--secret-key-stdin",
            ], stdin: "SECRETVALUE123\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("SECRETVALUE123") && !r.stderr.contains("SECRETVALUE123"))
        r = try hub.admin(
            [
                "region", "add", "eu", "--endpoint", "https://s3.example.com", "--bucket", "b", "--lat", "50", "--lon", "8",
                "--access-key", "AKIAEXAMPLE", "--secret-key-stdin",
            ], stdin: "SECRETVALUE123\n")
        #expect(r.status == 64)
        #expect(!r.stderr.contains("SECRETVALUE123"))
        // The SQLite file holds region keys: owner-only.
        let mode = try FileManager.default.attributesOfItem(atPath: hub.directory + "/hub.sqlite")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
