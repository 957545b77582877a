import BamEngine
import BamHub
import BamTestSupport
import Foundation
import HTTPTypes
import Testing

/// A Hub without a server: the same store, service and router `bam-hub
/// serve` builds, answering through `HubInProcessClient`. For tests of what
/// a route answers; `HubTestServer` runs the real process where the
/// socket, the admin commands or the client's transport matter.
final class InProcessHub: @unchecked Sendable {
    let directory: String
    let database: String
    let store: SQLStore
    let client: HubInProcessClient
    /// Counts the statements the first instance's store runs.
    let queries: CountingConnection

    init(_ label: String, database kind: TestDatabase = .sqlite) async throws {
        var template = Array("/tmp/bam-hub-inproc-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestServerError(description: "mkdtemp failed") }
        directory = String(cString: made)
        database = try kind.make(in: directory)
        queries = CountingConnection(try DatabaseURL.open(database))
        store = SQLStore(connection: queries)
        try store.migrate()
        client = try await Self.instance(store: store)
    }

    /// Another Hub process on the same database, as behind a load balancer.
    func anotherInstance() async throws -> HubInProcessClient {
        try await Self.instance(store: try SQLStore(database: database))
    }

    private static func instance(store: SQLStore) async throws -> HubInProcessClient {
        // The throttle's window is a day, not five minutes: an async test
        // can wait minutes for a thread while the run's blocking tests hold
        // the cooperative pool, and its failures must still count.
        let service = HubService(
            store: store, router: RegionRouter(geoip: .empty), throttle: FailureThrottle(store: store, window: 86_400))
        let templates = try await WebRoutes.loadTemplates(directory: HubTestServer.packageRoot + "/templates/hub")
        return HubInProcessClient(
            router: HubServer.router(service: service, templates: templates, clients: ClientAddressPolicy(), secureCookies: false))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A browser's session: the sign-in form's cookie-bound token, then the
    /// session cookie, as `Cookie` header value.
    func signIn(email: String, apiKey: String) async throws -> String {
        let form = try await client.call(.get, "/signin")
        let token = try #require(WebClient.hiddenField("csrf", in: form.bodyText))
        var fields = HTTPFields()
        fields[.cookie] = "bam_hub_signin=\(token)"
        fields[.contentType] = "application/x-www-form-urlencoded"
        let body = "email=\(HubTestServer.escape(email))&apikey=\(HubTestServer.escape(apiKey))&csrf=\(token)"
        let r = try await client.call(.post, "/signin", headers: fields, body: Array(body.utf8))
        #expect(r.status == 303, "\(r.bodyText)")
        let set = r.headers[values: .setCookie].first { $0.hasPrefix("bam_hub_session=") } ?? ""
        return String(set.split(separator: ";")[0])
    }

    var storageDirectory: String { directory + "/storage" }

    /// A new account's API key.
    func addAccount(_ email: String) throws -> String {
        try AdminOperations.addAccount(store: store, email: email).1
    }

    /// A file:// region under this Hub's directory.
    func addFileRegion(_ name: String, isDefault: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: storageDirectory, withIntermediateDirectories: true)
        try AdminOperations.addRegion(
            store: store,
            region: Region(name: name, endpoint: "file://" + storageDirectory, bucket: name, latitude: 0, longitude: 0, isDefault: isDefault))
    }

    /// A call as the clients make it: GET parameters in the query, other
    /// bodies form-encoded, JSON asked for; from bam (its header) unless
    /// `asOriginalClient`, as `HubTestServer.call`.
    func call(
        _ method: HTTPRequest.Method, _ path: String, form: [String: String] = [:], headers: [(name: String, value: String)] = [],
        from peer: String = "127.0.0.1", asOriginalClient: Bool = false, via instance: HubInProcessClient? = nil
    ) async throws -> HubInProcessClient.Response {
        let client = instance ?? self.client
        let encoded = form.sorted { $0.key < $1.key }.map { "\(HubTestServer.escape($0.key))=\(HubTestServer.escape($0.value))" }
            .joined(separator: "&")
        var fields = HTTPFields()
        for header in headers { fields[HTTPField.Name(header.name)!] = header.value }
        fields[.accept] = "application/json"
        if !asOriginalClient { fields[HTTPField.Name(HubClient.bamClientHeader.name)!] = HubClient.bamClientHeader.value }
        if method == .get || method == .delete {
            return try await client.call(method, encoded.isEmpty ? path : path + "?" + encoded, headers: fields, peerAddress: peer)
        }
        fields[.contentType] = "application/x-www-form-urlencoded"
        return try await client.call(method, path, headers: fields, body: Array(encoded.utf8), peerAddress: peer)
    }

    /// An appliance's subkey, as `bam init` gets it.
    func subkey(_ apiKey: String) async throws -> String {
        let r = try await call(.get, "/api/backup/subkey/", form: ["apikey": apiKey])
        #expect(r.status == 200, "\(r.bodyText)")
        return try #require(Self.json(r) as? [String: Any])["subkey"] as? String ?? ""
    }

    static func json(_ r: HubInProcessClient.Response) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: Data(r.body)) } catch {
            throw TestServerError(description: "HTTP \(r.status) is not JSON: \(r.bodyText)")
        }
    }
}

/// A connection that counts the statements run through it: the pages'
/// query bound is checked on it.
final class CountingConnection: SQLConnection, @unchecked Sendable {
    private let inner: SQLConnection
    private let lock = NSLock()
    private var count = 0

    init(_ inner: SQLConnection) { self.inner = inner }

    var dialect: SQLDialect { inner.dialect }
    var total: Int { lock.withLock { count } }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        lock.withLock { count += 1 }
        return try inner.query(sql, parameters)
    }

    func executeScript(_ sql: String) throws {
        lock.withLock { count += 1 }
        try inner.executeScript(sql)
    }
}
