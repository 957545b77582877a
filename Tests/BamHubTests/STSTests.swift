import BamTestSupport
import BamEngine
@testable import BamHub
import Foundation
import HTTP
import Testing

/// Credentials scoped to a record's prefix through STS AssumeRole, against a
/// moto server (it speaks S3, STS and IAM on one port), and size refresh
/// through S3 listing.
@Suite("Hub credentials (STS on moto)", .serialized, .needs(.s3))
struct STSTests {
    final class Moto: @unchecked Sendable {
        let port: Int
        let server: TestServerProcess
        init() throws {
            port = try TestServerProcess.freePort()
            guard TestServerProcess.which("moto_server") != nil else {
                throw TestServerError(description: "moto_server is not installed (pip install 'moto[server]')")
            }
            server = try TestServerProcess(
                name: "moto", argv: ["moto_server", "-H", "127.0.0.1", "-p", String(port)],
                logPath: NSTemporaryDirectory() + "bam-hub-moto-\(getpid())-\(port).log")
            try server.waitForPort(port)
            unlink(server.logPath)  // the server keeps its descriptor
        }
        deinit { server.stop() }

        func makeBucket(_ name: String) throws {
            let creds = S3Credentials(accessKey: "AKIAHUBREGION0000000", secretKey: "region-secret")
            let signer = SigV4Signer(credentials: creds, region: "us-east-1")
            let host = "127.0.0.1:\(port)"
            let added = signer.sign(
                method: "PUT", canonicalURI: "/" + name, query: [], headers: [("host", host)],
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
        let add = try hub.admin(
            [
                "region", "add", "moto", "--endpoint", "http://127.0.0.1:\(moto.port)", "--bucket", "hub-backups",
                "--lat", "50", "--lon", "8", "--access-key", "AKIAHUBREGION0000000", "--secret-key-stdin",
                "--sts-role", "arn:aws:iam::123456789012:role/bam-hub-clients", "--default",
            ],
            stdin: "region-secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        let auth = [(name: "subkey", value: try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String))]
        let created = try #require(
            try HubTestServer.json(
                try hub.call(
                    "POST", "/api/backup/record/create/",
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
        // The original client: IAMRole(accesskey, secretkey, sessiontoken, expiration), nothing else.
        let original = try #require(
            try HubTestServer.json(try hub.call("GET", "/api/backup/credentials/", headers: auth, asOriginalClient: true)) as? [String: Any])
        #expect(Set(original.keys) == ["type", "accesskey", "secretkey", "sessiontoken", "expiration"])
        #expect(original["type"] as? String == "iamrole")

        // The client uploads with the temporary keys; the Hub measures it.
        let backend = try S3Backend(
            address: address,
            credentials: S3Credentials(
                accessKey: access, secretKey: secret,
                sessionToken: creds["sessiontoken"] as? String))
        let file = hub.directory + "/vol"
        try Data(count: 4321).write(to: URL(fileURLWithPath: file))
        try backend.put(name: "duplicity-full.20260101T000000Z.vol1.difftar.gpg", fromFile: file)
        let updated = try #require(
            try HubTestServer.json(
                try hub.call(
                    "PUT", "/api/backup/record/update/",
                    form: ["backup_id": id, "address": address], headers: auth)) as? [String: Any])
        #expect(updated["size"] as? Int == 4321)
    }

    /// A signed form POST to moto's IAM (or STS) API.
    static func iam(_ port: Int, _ credentials: S3Credentials, _ form: [(String, String)], service: String = "iam") throws -> HTTPResponse {
        let body = Array(SigV4Signer.canonicalQuery(form + [("Version", service == "iam" ? "2010-05-08" : "2011-06-15")]).utf8)
        let host = "127.0.0.1:\(port)"
        let headers = [("host", host), ("content-type", "application/x-www-form-urlencoded")]
        let added = SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
            .sign(method: "POST", canonicalURI: "/", query: [], headers: headers, payloadHash: SigV4Signer.sha256Hex(body), date: Date())
        let r = try HTTPSession().perform(
            HTTPRequest(
                method: "POST", url: "http://\(host)/",
                headers: [("Host", host), ("Content-Type", "application/x-www-form-urlencoded")] + added, body: .bytes(body)))
        guard r.isSuccess else { throw TestServerError(description: "moto \(form[0].1): HTTP \(r.status) \(r.bodyText)") }
        return r
    }

    /// moto with IAM checks on (after its first five unauthenticated calls):
    /// signatures are verified, so this proves the Hub's SigV4-signed
    /// AssumeRole; moto enforces the role's own policy on the temporary
    /// keys. moto 5.2 does not evaluate the session policy (checked by
    /// hand: a role allowing s3:* everywhere plus a prefix session policy
    /// still lets moto write outside the prefix), so the role here is
    /// itself limited to `bam/*` and the prefix policy is checked above.
    /// An authenticating moto: the region's key (an IAM user allowed
    /// everything), a role limited to `bam/*` of bucket hub-auth, the bucket.
    struct AuthMoto {
        let server: TestServerProcess
        let host: String
        let regionKey: S3Credentials
        let roleArn: String
    }

    static func authMoto() throws -> AuthMoto {
        let port = try TestServerProcess.freePort()
        guard TestServerProcess.which("moto_server") != nil else {
            throw TestServerError(description: "moto_server is not installed (pip install 'moto[server]')")
        }
        let server = try TestServerProcess(
            name: "moto", argv: ["python3", "-c", MotoLaunch.rawURIPatch, "-H", "127.0.0.1", "-p", String(port)],
            environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "5"],
            logPath: NSTemporaryDirectory() + "bam-hub-moto-auth-\(getpid())-\(port).log")
        try server.waitForPort(port)
        unlink(server.logPath)
        let boot = S3Credentials(accessKey: "AKIABOOTSTRAP0000000", secretKey: "bootstrap")
        _ = try Self.iam(port, boot, [("Action", "CreateUser"), ("UserName", "hub")])
        let keyXML = try Self.iam(port, boot, [("Action", "CreateAccessKey"), ("UserName", "hub")]).bodyText
        let regionKey = S3Credentials(
            accessKey: try #require(STSClient.element("AccessKeyId", in: keyXML)),
            secretKey: try #require(STSClient.element("SecretAccessKey", in: keyXML)))
        _ = try Self.iam(
            port, boot,
            [
                ("Action", "PutUserPolicy"), ("UserName", "hub"), ("PolicyName", "all"),
                ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            ])
        let roleXML = try Self.iam(
            port, boot,
            [
                ("Action", "CreateRole"), ("RoleName", "bam-clients"),
                ("AssumeRolePolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#),
            ]
        ).bodyText
        let roleArn = try #require(STSClient.element("Arn", in: roleXML))
        _ = try Self.iam(
            port, boot,
            [
                ("Action", "PutRolePolicy"), ("RoleName", "bam-clients"), ("PolicyName", "bam"),
                (
                    "PolicyDocument",
                    #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::hub-auth/bam/*","arn:aws:s3:::hub-auth"]}]}"#
                ),
            ])
        // From here on every call must be signed by a known key.
        let host = "127.0.0.1:\(port)"
        let put = SigV4Signer(credentials: regionKey, region: "us-east-1").sign(
            method: "PUT", canonicalURI: "/hub-auth", query: [], headers: [("host", host)],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
        let made = try HTTPSession().perform(HTTPRequest(method: "PUT", url: "http://\(host)/hub-auth", headers: [("Host", host)] + put))
        guard made.isSuccess else { throw TestServerError(description: "create bucket: \(made.bodyText)") }
        return AuthMoto(server: server, host: host, regionKey: regionKey, roleArn: roleArn)
    }

    @Test("AssumeRole with moto's IAM checks on: signed by the region key, limited by the role")
    func assumeRoleWithAuthentication() throws {
        let moto = try Self.authMoto()
        defer { moto.server.stop() }
        let (host, regionKey, roleArn) = (moto.host, moto.regionKey, moto.roleArn)

        // A wrong region secret is refused by moto's STS.
        let bad = STSClient(endpoint: "http://\(host)", credentials: S3Credentials(accessKey: regionKey.accessKey, secretKey: "wrong"))
        #expect(throws: HubStoreError.self) {
            try bad.assumeRole(roleArn: roleArn, sessionName: "bam-test", policy: STSClient.policy(bucket: "hub-auth", prefix: "bam/a/r"))
        }

        let hub = try HubTestServer("sts-auth", database: .sqlite)
        let apiKey = try hub.addAccount("auth@example.com")
        let add = try hub.admin(
            [
                "region", "add", "moto", "--endpoint", "http://\(host)", "--bucket", "hub-auth", "--lat", "1", "--lon", "1",
                "--access-key", regionKey.accessKey, "--secret-key-stdin", "--sts-role", roleArn, "--default",
            ],
            stdin: regionKey.secretKey + "\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let sk = try #require(
            (try HubTestServer.json(try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])) as? [String: Any])?["subkey"] as? String)
        let auth = [(name: "subkey", value: sk)]
        let created = try #require(
            try HubTestServer.json(
                try hub.call(
                    "POST", "/api/backup/record/create/",
                    form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: auth)) as? [String: Any])
        let id = try #require(created["backup_id"] as? String)
        let address = try #require(created["address"] as? String)
        let c = try hub.call("GET", "/api/backup/credentials/", form: ["backup_id": id], headers: auth)
        #expect(c.status == 200, "\(c.bodyText)")
        let creds = try #require(try HubTestServer.json(c) as? [String: Any])
        #expect(creds["type"] as? String == "iamrole")
        let temporary = S3Credentials(
            accessKey: creds["accesskey"] as? String ?? "", secretKey: creds["secretkey"] as? String ?? "",
            sessionToken: creds["sessiontoken"] as? String)
        let file = hub.directory + "/vol"
        try Data(count: 999).write(to: URL(fileURLWithPath: file))
        var options = S3Options()
        options.maxAttempts = 1
        try S3Backend(address: address, credentials: temporary, options: options).put(name: "duplicity-full.20260101T000000Z.manifest.gpg", fromFile: file)
        #expect(throws: (any Error).self) {
            try S3Backend(address: "s3+http://\(host)/hub-auth/elsewhere", credentials: temporary, options: options).put(name: "x", fromFile: file)
        }
        let updated = try #require(
            try HubTestServer.json(
                try hub.call(
                    "PUT", "/api/backup/record/update/",
                    form: ["backup_id": id, "address": address], headers: auth)) as? [String: Any])
        #expect(updated["size"] as? Int == 999)
    }

    @Test("--iam-users: each record gets its own IAM user whose keys reach only its prefix (moto enforces it)")
    func perRecordUsers() throws {
        let moto = try Self.authMoto()
        defer { moto.server.stop() }
        let hub = try HubTestServer("iam-users", database: .sqlite)
        let apiKey = try hub.addAccount("iam@example.com")
        let add = try hub.admin(
            [
                "region", "add", "moto", "--endpoint", "http://\(moto.host)", "--bucket", "hub-auth", "--lat", "1", "--lon", "1",
                "--access-key", moto.regionKey.accessKey, "--secret-key-stdin", "--iam-users", "--default",
            ],
            stdin: moto.regionKey.secretKey + "\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let sk = try #require(
            (try HubTestServer.json(try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])) as? [String: Any])?["subkey"] as? String)
        let auth = [(name: "subkey", value: sk)]
        var records: [(id: String, address: String, credentials: S3Credentials)] = []
        for _ in 0..<2 {
            let created = try #require(
                try HubTestServer.json(
                    try hub.call(
                        "POST", "/api/backup/record/create/",
                        form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: auth)) as? [String: Any])
            let id = try #require(created["backup_id"] as? String)
            let c = try #require(
                try HubTestServer.json(try hub.call("GET", "/api/backup/credentials/", form: ["backup_id": id], headers: auth)) as? [String: Any])
            #expect(c["type"] as? String == "iamuser")
            #expect(c["accesskey"] as? String != moto.regionKey.accessKey)
            records.append(
                (
                    id, try #require(created["address"] as? String),
                    S3Credentials(accessKey: c["accesskey"] as? String ?? "", secretKey: c["secretkey"] as? String ?? "")
                ))
        }
        #expect(records[0].credentials.accessKey != records[1].credentials.accessKey)
        let file = hub.directory + "/vol"
        try Data(count: 321).write(to: URL(fileURLWithPath: file))
        var options = S3Options()
        options.maxAttempts = 1
        let name = "duplicity-full.20260101T000000Z.manifest.gpg"
        try S3Backend(address: records[0].address, credentials: records[0].credentials, options: options).put(name: name, fromFile: file)
        #expect(try S3Backend(address: records[0].address, credentials: records[0].credentials, options: options).list().map(\.name) == [name])
        // Record 0's keys cannot write to record 1's prefix. (Listing it is
        // refused by AWS through the s3:prefix condition; moto 5.2 does not
        // evaluate policy conditions, so that part is not checked here.)
        #expect(throws: (any Error).self) {
            try S3Backend(address: records[1].address, credentials: records[0].credentials, options: options).put(name: name, fromFile: file)
        }
        let updated = try #require(
            try HubTestServer.json(
                try hub.call(
                    "PUT", "/api/backup/record/update/",
                    form: ["backup_id": records[0].id, "address": records[0].address], headers: auth)) as? [String: Any])
        #expect(updated["size"] as? Int == 321)

        // Deleting the backup on the web removes its volumes and its user.
        let web = try WebTests.signIn(hub, email: "iam@example.com", apiKey: apiKey)
        let confirm = try web.get("/backups/\(records[0].id)/delete").bodyText
        #expect(try web.post("/backups/\(records[0].id)/delete", ["csrf": WebClient.hiddenField("csrf", in: confirm) ?? ""]).status == 303)
        #expect(throws: (any Error).self) {
            try S3Backend(address: records[0].address, credentials: records[0].credentials, options: options).put(name: name, fromFile: file)
        }
        let regionView = try S3Backend(address: records[0].address, credentials: moto.regionKey, options: options)
        #expect(try regionView.list().isEmpty)
        // The other record's user still works.
        try S3Backend(address: records[1].address, credentials: records[1].credentials, options: options).put(name: name, fromFile: file)
    }

    /// The original client runs Debian's duplicity (boto backend) on the
    /// address it is given: `duplicity cleanup --force ADDRESS` (without
    /// `--s3-unencrypted-connection`), then backup and restore with
    /// `--s3-unencrypted-connection`. duplicity reads host and port only from
    /// `s3://HOST:PORT/BUCKET/PREFIX`; the cleanup needs boto's
    /// `is_secure = False` (the appliance's boto config) to speak plain HTTP.
    @Test("a plain-HTTP region: the original client's address works with Debian's duplicity", .needs(.duplicity))
    func originalAddressWithDuplicity() throws {
        let moto = try Moto()
        try moto.makeBucket("hub-backups")
        let hub = try HubTestServer("orig-dup", database: .sqlite)
        let apiKey = try hub.addAccount("dup@example.com")
        let add = try hub.admin(
            [
                "region", "add", "plain", "--endpoint", "http://127.0.0.1:\(moto.port)", "--bucket", "hub-backups",
                "--lat", "0", "--lon", "0", "--access-key", "AKIAHUBREGION0000000", "--secret-key-stdin", "--default",
            ],
            stdin: "region-secret\n")
        #expect(add.status == 0, "\(add.stderr)")
        try hub.start()
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey], asOriginalClient: true)
        let auth = [(name: "subkey", value: try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String))]
        let creds = try #require(
            try HubTestServer.json(try hub.call("GET", "/api/backup/credentials/", headers: auth, asOriginalClient: true)) as? [String: Any])
        let created = try #require(
            try HubTestServer.json(
                try hub.call(
                    "POST", "/api/backup/record/create/", form: ["key": TestKeys.open, "turnkey_version": "generic"], headers: auth,
                    asOriginalClient: true)) as? [String: Any])
        let address = try #require(created["address"] as? String)
        #expect(address.hasPrefix("s3://127.0.0.1:\(moto.port)/hub-backups/bam/"))

        let work = hub.directory + "/dup"
        try FileManager.default.createDirectory(atPath: work + "/source", withIntermediateDirectories: true)
        try Data("hello from the original client\n".utf8).write(to: URL(fileURLWithPath: work + "/source/greeting"))
        try "[Boto]\nis_secure = False\n".write(toFile: work + "/boto.cfg", atomically: true, encoding: .utf8)
        let environment = [
            "AWS_ACCESS_KEY_ID": creds["accesskey"] as? String ?? "", "AWS_SECRET_ACCESS_KEY": creds["secretkey"] as? String ?? "",
            "PASSPHRASE": "original-client-secret", "HOME": work, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
            "BOTO_CONFIG": work + "/boto.cfg",
        ]
        func duplicity(_ arguments: [String]) throws {
            let run = try Child.run(
                "/usr/bin/duplicity", ["--archive-dir", work + "/cache", "--num-retries", "1"] + arguments, environment: environment)
            #expect(run.status == 0, "duplicity \(arguments.joined(separator: " ")): \(run.stdout)\(run.stderr)")
        }
        try duplicity(["cleanup", "--force", address])
        try duplicity(["--s3-unencrypted-connection", "--allow-source-mismatch", work + "/source", address])
        try duplicity(["--s3-unencrypted-connection", address, work + "/restored"])
        #expect(try String(contentsOfFile: work + "/restored/greeting", encoding: .utf8) == "hello from the original client\n")
        // tklbam-backup then reports the address; the Hub finds the record and measures it.
        let updated = try #require(
            try HubTestServer.json(
                try hub.call("PUT", "/api/backup/record/update/", form: ["address": address], headers: auth, asOriginalClient: true))
                as? [String: Any])
        #expect(updated["backup_id"] as? String == created["backup_id"] as? String)
        #expect((updated["size"] as? Int ?? 0) > 0)
        #expect(updated["address"] as? String == address)
    }

    @Test("--iam-users without backup_id (the original client): the account's own user, never a record's")
    func accountUserWithoutBackupId() throws {
        let moto = try Self.authMoto()
        defer { moto.server.stop() }
        let hub = try HubTestServer("iam-account", database: .sqlite)
        let add = try hub.admin(
            [
                "region", "add", "moto", "--endpoint", "http://\(moto.host)", "--bucket", "hub-auth", "--lat", "1", "--lon", "1",
                "--access-key", moto.regionKey.accessKey, "--secret-key-stdin", "--iam-users", "--default",
            ],
            stdin: moto.regionKey.secretKey + "\n")
        #expect(add.status == 0, "\(add.stderr)")
        let aliceKey = try hub.addAccount("alice-iam@example.com")
        let malloryKey = try hub.addAccount("mallory-iam@example.com")
        try hub.start()
        func auth(_ apiKey: String) throws -> [(name: String, value: String)] {
            let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey], asOriginalClient: true)
            return [(name: "subkey", value: try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String))]
        }
        func credentials(_ auth: [(name: String, value: String)], backupId: String? = nil) throws -> S3Credentials {
            let r = try hub.call(
                "GET", "/api/backup/credentials/", form: backupId.map { ["backup_id": $0] } ?? [:], headers: auth, asOriginalClient: true)
            #expect(r.status == 200, "\(r.bodyText)")
            let c = try #require(try HubTestServer.json(r) as? [String: Any])
            #expect(Set(c.keys) == ["type", "accesskey", "secretkey", "sessiontoken"])
            #expect(c["type"] as? String == "iamuser")
            return S3Credentials(accessKey: c["accesskey"] as? String ?? "", secretKey: c["secretkey"] as? String ?? "")
        }
        let alice = try auth(aliceKey), mallory = try auth(malloryKey)
        // tklbam-init asks before any record exists.
        let aliceAccount = try credentials(alice)
        #expect(aliceAccount.accessKey != moto.regionKey.accessKey)
        // tklbam-backup creates its record after asking; bam-made records share the prefix.
        var records: [(id: String, address: String)] = []
        for _ in 0..<2 {
            let created = try #require(
                try HubTestServer.json(
                    try hub.call(
                        "POST", "/api/backup/record/create/", form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: alice,
                        asOriginalClient: true)) as? [String: Any])
            // Handed to the original client as s3://HOST:PORT; bam reads it as s3+http.
            let address = try #require(created["address"] as? String)
            #expect(address.hasPrefix("s3://\(moto.host)/hub-auth/bam/"))
            records.append((try #require(created["backup_id"] as? String), "s3+http://" + address.dropFirst("s3://".count)))
        }
        // Later calls without backup_id: still the account's user, not the latest record's.
        #expect(try credentials(alice) == aliceAccount)
        let recordUser = try credentials(alice, backupId: records[1].id)
        #expect(recordUser != aliceAccount)
        let malloryAccount = try credentials(mallory)
        #expect(malloryAccount != aliceAccount)

        var options = S3Options()
        options.maxAttempts = 1
        let file = hub.directory + "/vol"
        try Data(count: 55).write(to: URL(fileURLWithPath: file))
        let name = "duplicity-full.20260101T000000Z.manifest.gpg"
        // The account's keys reach every record of the account (a restore
        // on a new server reads any of them).
        for record in records {
            try S3Backend(address: record.address, credentials: aliceAccount, options: options).put(name: name, fromFile: file)
        }
        // Another account's keys reach none of them.
        #expect(throws: (any Error).self) {
            try S3Backend(address: records[0].address, credentials: malloryAccount, options: options).put(name: name, fromFile: file)
        }
        // The original client reports the finished backup by address alone.
        let updated = try #require(
            try HubTestServer.json(
                try hub.call(
                    "PUT", "/api/backup/record/update/", form: ["address": "s3://" + records[0].address.dropFirst("s3+http://".count)],
                    headers: alice, asOriginalClient: true)) as? [String: Any])
        #expect(updated["backup_id"] as? String == records[0].id)
        #expect(updated["size"] as? Int == 55)
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
