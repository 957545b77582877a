import BamEngine
import BamHub
import Foundation
import HTTP
import Testing

/// Credentials scoped to a record's prefix through STS AssumeRole, against a
/// moto server (it speaks S3, STS and IAM on one port), and size refresh
/// through S3 listing.
@Suite("Hub credentials (STS on moto)", .serialized)
struct STSTests {
    final class Moto: @unchecked Sendable {
        let port: Int
        let server: TestServerProcess
        init() throws {
            port = try TestServerProcess.freePort()
            guard TestServerProcess.which("moto_server") != nil else {
                throw TestServerError(description: "moto_server is not installed (pip install 'moto[server]')")
            }
            server = try TestServerProcess(name: "moto", argv: ["moto_server", "-H", "127.0.0.1", "-p", String(port)],
                                           logPath: NSTemporaryDirectory() + "bam-hub-moto-\(getpid())-\(port).log")
            try server.waitForPort(port)
        }
        deinit { server.stop() }

        func makeBucket(_ name: String) throws {
            let creds = S3Credentials(accessKey: "AKIAHUBREGION0000000", secretKey: "region-secret")
            let signer = SigV4Signer(credentials: creds, region: "us-east-1")
            let host = "127.0.0.1:\(port)"
            let added = signer.sign(method: "PUT", canonicalURI: "/" + name, query: [], headers: [("host", host)],
                                    payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
            let r = try HTTPSession().perform(HTTPRequest(method: "PUT", url: "http://\(host)/\(name)", headers: [("Host", host)] + added))
            guard r.isSuccess else { throw TestServerError(description: "create bucket: \(r.status) \(r.bodyText)") }
        }
    }

    @Test("an STS region hands out temporary credentials for the record's prefix; size comes from S3", arguments: TestDatabase.allCases)
    func assumeRole(database: TestDatabase) throws {
        let moto = try Moto()
        try moto.makeBucket("hub-backups")
        let hub = try HubTestServer("sts", database: database)
        let apiKey = try hub.addAccount("sts@example.com")
        let add = try hub.admin(["region", "add", "moto", "--endpoint", "http://127.0.0.1:\(moto.port)", "--bucket", "hub-backups",
                                 "--lat", "50", "--lon", "8", "--access-key", "AKIAHUBREGION0000000", "--secret-key-stdin",
                                 "--sts-role", "arn:aws:iam::123456789012:role/bam-hub-clients", "--default"],
                                 stdin: "region-secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        let auth = [(name: "subkey", value: try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String))]
        let created = try #require(try HubTestServer.json(try hub.call("POST", "/api/backup/record/create/",
            form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: auth)) as? [String: Any])
        let id = try #require(created["backup_id"] as? String)
        let address = try #require(created["address"] as? String)
        #expect(address.hasPrefix("s3+http://127.0.0.1:\(moto.port)/hub-backups/bam/"))

        let c = try hub.call("GET", "/api/backup/credentials/", form: ["backup_id": id], headers: auth)
        #expect(c.status == 200, "\(c.bodyText)")
        let creds = try #require(try HubTestServer.json(c) as? [String: Any])
        #expect(creds["type"] as? String == "iamrole")
        let access = try #require(creds["accesskey"] as? String)
        let secret = try #require(creds["secretkey"] as? String)
        #expect(access.hasPrefix("ASIA"))
        #expect(access != "AKIAHUBREGION0000000")
        #expect(!secret.isEmpty && secret != "region-secret")
        #expect(!((creds["sessiontoken"] as? String) ?? "").isEmpty)
        #expect(!((creds["expiration"] as? String) ?? "").isEmpty)
        // The Hub never shows the region's secret.
        #expect(!c.bodyText.contains("region-secret"))

        // Without backup_id: account-wide credentials (prefix bam/<account>).
        let c2 = try #require(try HubTestServer.json(try hub.call("GET", "/api/backup/credentials/", headers: auth)) as? [String: Any])
        #expect(c2["type"] as? String == "iamrole")

        // The client uploads with the temporary keys; the Hub measures it.
        let backend = try S3Backend(address: address, credentials: S3Credentials(accessKey: access, secretKey: secret,
                                                                                   sessionToken: creds["sessiontoken"] as? String))
        let file = hub.directory + "/vol"
        try Data(count: 4321).write(to: URL(fileURLWithPath: file))
        try backend.put(name: "duplicity-full.20260101T000000Z.vol1.difftar.gpg", fromFile: file)
        let updated = try #require(try HubTestServer.json(try hub.call("PUT", "/api/backup/record/update/",
            form: ["backup_id": id, "address": address], headers: auth)) as? [String: Any])
        #expect(updated["size"] as? Int == 4321)
    }

    @Test("the session policy limits s3 actions to the bucket's prefix")
    func policyDocument() throws {
        let policy = STSClient.policy(bucket: "b", prefix: "bam/acct/rec")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any])
        let statements = try #require(json["Statement"] as? [[String: Any]])
        #expect(statements.count == 2)
        #expect(statements[0]["Resource"] as? String == "arn:aws:s3:::b/bam/acct/rec/*")
        #expect(statements[1]["Resource"] as? String == "arn:aws:s3:::b")
        let condition = try #require((statements[1]["Condition"] as? [String: Any])?["StringLike"] as? [String: Any])
        #expect(condition["s3:prefix"] as? [String] == ["bam/acct/rec/*"])
    }
}
