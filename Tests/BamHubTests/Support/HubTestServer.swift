import BamTestSupport
import BamEngine
import BamHub
import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// Which database a test runs against: the same suites run on both.
enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// Both databases; SQLite alone in the fast loop (`make check`), which
    /// starts no PostgreSQL server.
    static var inThisRun: [TestDatabase] { TestNeed.standaloneOnly ? [.sqlite] : allCases }

    /// A fresh, empty database of this kind.
    func make(in directory: String) throws -> String {
        switch self {
        case .sqlite: return "sqlite:\(directory)/hub.sqlite"
        case .postgres: return try TestPostgres.get().makeDatabase()
        }
    }
}

/// A throwaway Hub: its own directory (storage, database), admin commands
/// run through the real `bam-hub` binary, and `bam-hub serve` started on a
/// free port and stopped at the end.
final class HubTestServer: @unchecked Sendable {
    let directory: String
    let database: String
    private(set) var port = 0
    private var starts = 0
    private var server: TestServerProcess?

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    init(_ label: String, database kind: TestDatabase) throws {
        var template = Array("/tmp/bam-hub-test-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestServerError(description: "mkdtemp failed") }
        directory = String(cString: made)
        database = try kind.make(in: directory)
    }

    /// A second Hub process on `other`'s database, as behind a load
    /// balancer: its own directory and port, the same state.
    init(_ label: String, sharingDatabaseOf other: HubTestServer) throws {
        var template = Array("/tmp/bam-hub-test-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestServerError(description: "mkdtemp failed") }
        directory = String(cString: made)
        database = other.database
    }

    deinit {
        server?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var storageDirectory: String { directory + "/storage" }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func binary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["BAM_HUB_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        for executable in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("bam-hub").path)
        }
        candidates.append(packageRoot + "/.build/debug/bam-hub")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestServerError(description: "the bam-hub binary is missing (looked at \(candidates.joined(separator: ", "))); run 'swift build'")
        }
        return found
    }

    typealias Run = ChildRun

    /// Runs `bam-hub ARGS --database DB`.
    @discardableResult
    func admin(_ arguments: [String], stdin: String = "") throws -> Run {
        try Child.run(try Self.binary(), arguments + ["--database", database], stdin: stdin)
    }

    /// `account add`, returning the printed API key.
    func addAccount(_ email: String) throws -> String {
        let r = try admin(["account", "add", email])
        guard r.status == 0 else { throw TestServerError(description: "account add failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A file:// region under this Hub's directory.
    func addFileRegion(_ name: String, lat: Double, lon: Double, isDefault: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: storageDirectory, withIntermediateDirectories: true)
        let r = try admin(
            [
                "region", "add", name, "--endpoint", "file://" + storageDirectory, "--bucket", name,
                "--lat=\(lat)", "--lon=\(lon)",
            ] + (isDefault ? ["--default"] : []))
        guard r.status == 0 else { throw TestServerError(description: "region add failed: \(r.stderr)") }
    }

    /// Starts `bam-hub serve` on a free port, under `openFileLimit`
    /// descriptors (RLIMIT_NOFILE) when one is given. `withoutTorGeoIPDB`
    /// runs it in a mount namespace where /usr/share/tor is empty, as on a
    /// host without tor-geoipdb (the build host has it).
    func start(extra: [String] = [], openFileLimit: Int? = nil, withoutTorGeoIPDB: Bool = false) throws {
        starts += 1
        let log = directory + "/serve-\(starts).log"
        var argv =
            [
                try Self.binary(), "serve", "--listen", "127.0.0.1:0", "--database", database,
                "--templates", Self.packageRoot + "/templates/hub",
            ] + extra
        if let openFileLimit { argv = ["sh", "-c", "ulimit -n \(openFileLimit) && exec \"$@\"", "sh"] + argv }
        if withoutTorGeoIPDB {
            let hide = "if [ -d /usr/share/tor ]; then mount -t tmpfs tmpfs /usr/share/tor || exit 99; fi; exec \"$@\""
            argv = ["unshare", "--mount", "--map-root-user", "sh", "-c", hide, "sh"] + argv
        }
        let process = try TestServerProcess(name: "bam-hub", argv: argv, logPath: log)
        server = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("bam-hub listening on ") }),
                let p = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                port = p
                return
            }
            if !process.isRunning || text.contains("[launcher] server exited") {
                throw TestServerError(description: "bam-hub serve exited: \(process.logTail())")
            }
            usleep(50_000)
        }
        throw TestServerError(description: "bam-hub serve did not start: \(process.logTail())")
    }

    /// What the running (or last) `bam-hub serve` printed.
    var serveLog: String {
        (try? String(contentsOfFile: directory + "/serve-\(starts).log", encoding: .utf8)) ?? ""
    }

    func stop() {
        server?.stop()
        server = nil
    }

    /// An HTTP call to the Hub; `form` goes in the query (GET) or body.
    /// It says it comes from bam (`HubClient.bamClientHeader`), as bam's
    /// client does, unless `asOriginalClient`: then the Hub answers as the
    /// original Hub did, for the original TKLBAM client.
    func call(
        _ method: String, _ path: String, form: [String: String] = [:], headers: [(name: String, value: String)] = [],
        asOriginalClient: Bool = false
    ) throws -> HTTPResponse {
        let encoded = form.sorted { $0.key < $1.key }.map { "\(Self.escape($0.key))=\(Self.escape($0.value))" }.joined(separator: "&")
        var url = baseURL + path
        var body = HTTPBody.none
        var allHeaders = headers
        if method == "GET" || method == "DELETE" {
            if !encoded.isEmpty { url += "?" + encoded }
        } else {
            body = .bytes(Array(encoded.utf8))
            allHeaders.append((name: "Content-Type", value: "application/x-www-form-urlencoded"))
        }
        allHeaders.append((name: "Accept", value: "application/json"))
        if !asOriginalClient { allHeaders.append(HubClient.bamClientHeader) }
        return try HTTPSession().perform(HTTPRequest(method: method, url: url, headers: allHeaders, body: body))
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func json(_ response: HTTPResponse) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(response.body))
        } catch {
            throw TestServerError(description: "HTTP \(response.status) is not JSON: \(response.bodyText)")
        }
    }
}
