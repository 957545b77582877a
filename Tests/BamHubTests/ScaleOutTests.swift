import BamEngine
import BamTestSupport
import Foundation
import HTTP
import Testing

@testable import BamHub

/// Two real `bam-hub serve` processes on one PostgreSQL, as behind a load
/// balancer: whichever a request reaches, the Hub answers as one.
@Suite("Hub: several processes on one database", .serialized, .needs(.databases, .s3))
struct ScaleOutTests {
    /// Two processes on one fresh PostgreSQL database.
    static func pair(_ label: String, configure: (HubTestServer) throws -> Void = { _ in }) throws -> (HubTestServer, HubTestServer) {
        let first = try HubTestServer(label, database: .postgres)
        try configure(first)
        try first.start()
        let second = try HubTestServer(label + "-2", sharingDatabaseOf: first)
        try second.start()
        return (first, second)
    }

    static func subkey(_ hub: HubTestServer, _ apiKey: String, asOriginalClient: Bool = false) throws -> [(name: String, value: String)] {
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey], asOriginalClient: asOriginalClient)
        let subkey = try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String, "\(r.bodyText)")
        return [(name: "subkey", value: subkey)]
    }

    @Test("concurrent first credentials calls through both processes make one account IAM user")
    func oneAccountUser() throws {
        let moto = try STSTests.Moto()
        try moto.makeBucket("hub-scale")
        let (a, b) = try Self.pair("iam-race") { hub in
            let add = try hub.admin(
                [
                    "region", "add", "moto", "--endpoint", "http://127.0.0.1:\(moto.port)", "--bucket", "hub-scale",
                    "--lat", "50", "--lon", "8", "--access-key", "AKIAHUBREGION0000000", "--secret-key-stdin", "--iam-users", "--default",
                ],
                stdin: "region-secret\n")
            #expect(add.status == 0, "\(add.stderr)")
        }
        let apiKey = try a.addAccount("race@example.com")
        let auth = try Self.subkey(a, apiKey, asOriginalClient: true)
        // The original client's first call names no record: the account's user, made on first use.
        let callers = 8
        let lock = NSLock()
        nonisolated(unsafe) var answers: [Result<S3Credentials, Error>] = []
        DispatchQueue.concurrentPerform(iterations: callers) { i in
            let result = Result<S3Credentials, Error> {
                let r = try (i % 2 == 0 ? a : b).call("GET", "/api/backup/credentials/", headers: auth, asOriginalClient: true)
                guard r.status == 200, let c = try HubTestServer.json(r) as? [String: Any] else {
                    throw TestServerError(description: "HTTP \(r.status): \(r.bodyText)")
                }
                return S3Credentials(accessKey: c["accesskey"] as? String ?? "", secretKey: c["secretkey"] as? String ?? "")
            }
            lock.withLock { answers.append(result) }
        }
        let keys = try lock.withLock { answers }.map { try $0.get() }
        #expect(keys.count == callers)
        #expect(Set(keys.map(\.accessKey)).count == 1, "\(keys.map(\.accessKey))")
        #expect(keys.first?.accessKey != "AKIAHUBREGION0000000")
        // IAM itself has one user for the account.
        let list = try STSTests.iam(
            moto.port, S3Credentials(accessKey: "AKIAHUBREGION0000000", secretKey: "region-secret"), [("Action", "ListUsers")]
        ).bodyText
        let users = list.components(separatedBy: "<UserName>").dropFirst().compactMap { $0.components(separatedBy: "</UserName>").first }
        #expect(users.filter { $0.contains("-all-") }.count == 1, "\(users)")
        // No claim is left behind.
        let store = try SQLStore(database: a.database)
        let account = try #require(try store.account(email: "race@example.com"))
        #expect(try store.claimAccountUser(accountId: account.id, region: "moto", now: HubDate.now(), staleBefore: 0))
    }

    @Test("bad API keys spread over both processes are throttled by both")
    func sharedThrottle() throws {
        let (a, b) = try Self.pair("throttle")
        let apiKey = try a.addAccount("guess@example.com")
        for i in 0..<10 {
            let r = try (i % 2 == 0 ? a : b).call("GET", "/api/backup/subkey/", form: ["apikey": "GUESS\(i)"])
            #expect(r.status == 401, "\(r.bodyText)")
        }
        for hub in [a, b] {
            let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
            #expect(r.status == 429, "\(r.bodyText)")
        }
    }

    @Test("a web session made on one process works on the other, and signing out on it ends it on both")
    func sharedWebSession() throws {
        let (a, b) = try Self.pair("session")
        let apiKey = try a.addAccount("web-scale@example.com")
        let onA = try WebTests.signIn(a, email: "web-scale@example.com", apiKey: apiKey)
        let onB = WebClient(base: b.baseURL)
        onB.cookies = onA.cookies
        let page = try onB.get("/account")
        #expect(page.status == 200)
        #expect(page.bodyText.contains("web-scale@example.com"))
        // The CSRF token the other process rendered is the session's own.
        let csrf = try #require(WebClient.hiddenField("csrf", in: page.bodyText))
        #expect(try onB.post("/signout", ["csrf": csrf]).status == 303)
        #expect(try onA.get("/servers").status == 303)
    }
}
