import Crypto
import Foundation
import SFTP
#if canImport(Glibc)
import Glibc
#endif

/// A directory on an SSH server, spoken to over SFTP through libcurl
/// (`sftp://[USER@]HOST[:PORT]/PATH`, see `SFTPAddress`). Safe to use from
/// several threads: each transfer takes a connection of its own from a pool.
///
/// - `put` uploads to a hidden name in the same directory (`.NAME.bam-part`)
///   and renames it into place, so a reader never sees a partial object;
///   an interrupted upload leaves only that hidden name, which the next
///   upload of the object overwrites and `abortUnfinishedUploads` removes.
/// - OpenSSH renames a file without replacing one of the target name (it
///   links, then unlinks): replacing takes a `rm` first, and `create` is
///   exclusive there. `createIsExclusive` probes which rename the server has.
/// - Logins are by key (a key file or the agent); the host key is checked
///   against a known_hosts file, and an unknown one is recorded only when
///   the caller accepts it (`--accept-host-key`); a changed one never is.
public final class SFTPBackend: StorageBackend {
    public let address: String
    public let location: SFTPAddress
    let pool: SFTPSessionPool
    let maxAttempts: Int
    /// Guards `exclusive`, the answer of the rename probe (`createIsExclusive`).
    let exclusiveProbe = NSLock()
    var exclusive: Bool?

    public init(address: String, endpoint: SFTPEndpoint, maxAttempts: Int = 4) throws {
        self.location = try SFTPAddress(parsing: address)
        self.address = address
        self.pool = SFTPSessionPool(endpoint: endpoint)
        self.maxAttempts = max(1, maxAttempts)
    }

    // MARK: Names and requests

    func path(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..",
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw StorageError.failed(address: address, reason: "invalid object name \(Posix.display(name))")
        }
        return location.path(name)
    }

    /// A remote path as a command takes it, quoted. libcurl expands the
    /// `/~/` of a home-relative path in URLs and unquoted command paths
    /// only, so a quoted one is given relative: the server resolves it
    /// from the login's starting (home) directory.
    static func q(_ path: String) -> String {
        if path.hasPrefix("/~/") { return SFTPRequest.quoted(String(path.dropFirst(3))) }
        return SFTPRequest.quoted(path == "/~" ? "." : path)
    }

    /// Runs `request`, retrying transient failures with backoff; throws
    /// the last `SFTPError`.
    @discardableResult
    func run(_ request: SFTPRequest, attempts: Int? = nil) throws -> SFTPResponse {
        try TransferRetry.run(
            maxAttempts: attempts ?? maxAttempts,
            backoff: { attempt in Thread.sleep(forTimeInterval: Double.random(in: 0.25...0.5) * pow(2, Double(attempt - 1))) },
            retryError: { (error: SFTPError) in error.isTransient }, fail: { error, _ in error }
        ) { try pool.perform(request) }
    }

    func commands(_ commands: [String]) -> SFTPRequest {
        var request = SFTPRequest(path: location.listingPath)
        request.commandsOnly = true
        request.before = commands
        return request
    }

    /// The error users see for `error` while doing `operation`.
    func failure(_ error: Error, _ operation: String, _ name: String?) -> StorageError {
        guard let error = error as? SFTPError else {
            if let storage = error as? StorageError { return storage }
            return .failed(address: address, reason: "\(operation): \(error)")
        }
        let what = name.map { "\(operation) \(Posix.display($0))" } ?? operation
        let endpoint = pool.endpoint
        let hostPort = endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
        switch error.kind {
        case .hostKey:
            guard let problem = error.hostKey else { return .denied(address: address, reason: "\(what): host key refused: \(error.message)") }
            return .denied(address: address, reason: Self.describe(problem))
        case .loginDenied:
            let how = endpoint.privateKeyFile.map { "the key \($0)" } ?? "the ssh agent's keys"
            return .denied(address: address, reason: "\(hostPort) refused the login of \(endpoint.user) with \(how): \(error.message)")
        case .accessDenied:
            return .denied(address: address, reason: "\(what): permission denied: \(error.message)")
        case .couldNotResolve, .couldNotConnect:
            return .unreachable(address: address, reason: "\(what): cannot connect to \(hostPort): \(error.message)")
        case .notFound:
            return name.map { .notFound(address: address, name: $0) } ?? .failed(address: address, reason: "\(what): \(error.message)")
        case _ where error.isTransient:
            return .transient(address: address, reason: "\(what): \(error.message)")
        default:
            return .failed(address: address, reason: "\(what): \(error.message)")
        }
    }

    /// What a refused host key looks like to the user: the host, the key
    /// type and its SHA256 fingerprint as `ssh-keygen -l` prints it.
    static func describe(_ problem: SFTPHostKeyProblem) -> String {
        let key = "\(problem.keyType) key \(fingerprint(problem.key))"
        if problem.changed {
            return "the host key of \(problem.knownHostsName) has CHANGED: the server showed the \(key), "
                + "not the key recorded in \(problem.knownHostsFile); someone may be intercepting the connection, "
                + "or the server was reinstalled. bam never replaces a recorded key: check the new key with the "
                + "server's administrator, then remove the old line from \(problem.knownHostsFile)"
        }
        return "the host key of \(problem.knownHostsName) is not known (\(problem.knownHostsFile) has no key for it): "
            + "the server showed the \(key); if that is the server's key, run again with --accept-host-key to record it"
    }

    static func fingerprint(_ key: [UInt8]) -> String {
        var text = Data(SHA256.hash(data: key)).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }

    // MARK: StorageBackend

    /// Uploads and removes a probe (making the directory if missing),
    /// trying at most twice, so a wrong host, key or path fails in seconds.
    public func preflight() throws {
        let probe = location.path(".bam-preflight-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        var request = SFTPRequest(path: probe)
        request.uploadBytes = Array("bam preflight probe\n".utf8)
        request.after = ["rm \(Self.q(probe))"]
        do { try run(request, attempts: 2) } catch { throw failure(error, "writing a test file in \(location.directory)", nil) }
    }

    public func list() throws -> [StoredObject] {
        try entries().filter { $0.isRegularFile && !$0.name.hasPrefix(".") }.map { StoredObject(name: $0.name, size: $0.size) }
    }

    /// Every entry of the directory, hidden ones too; none when it does
    /// not exist yet.
    func entries() throws -> [SFTPListing.Entry] {
        var request = SFTPRequest(path: location.listingPath)
        request.destination = .memory(limit: 256 << 20)
        let response: SFTPResponse
        do { response = try run(request) } catch let error as SFTPError where error.kind == .notFound {
            return []
        } catch {
            throw failure(error, "listing \(location.directory)", nil)
        }
        let parsed: [SFTPListing.Entry]
        do { parsed = try SFTPListing.parse(response.body) } catch {
            throw StorageError.failed(address: address, reason: "listing \(location.directory): \(error)")
        }
        return parsed.filter { $0.name != "." && $0.name != ".." && !$0.name.contains("/") }
    }

    public func put(name: String, fromFile path: String) throws {
        let final = try self.path(name)
        let partial = location.path(".\(name).bam-part")
        var request = SFTPRequest(path: partial)
        request.upload = path
        request.after = ["rename \(Self.q(partial)) \(Self.q(final))"]
        do {
            try run(request)
        } catch let error as SFTPError where error.kind == .commandFailed {
            try replace(final: final, with: partial, name: name)
        } catch {
            throw failure(error, "storing", name)
        }
    }

    /// Renames `partial` over `final` where the first rename refused to
    /// replace an existing object (OpenSSH's rename never replaces).
    func replace(final: String, with partial: String, name: String) throws {
        do {
            try run(commands(["*rm \(Self.q(final))", "rename \(Self.q(partial)) \(Self.q(final))"]))
        } catch {
            _ = try? run(commands(["*rm \(Self.q(partial))"]), attempts: 1)
            throw failure(error, "storing", name)
        }
    }

    public func get(name: String, range: Range<Int64>?, toFile path: String) throws {
        let remote = try self.path(name)
        if let range, range.isEmpty {
            guard try head(name: name) != nil else { throw StorageError.notFound(address: address, name: name) }
            try createEmpty(path, name: name)
            return
        }
        var request = SFTPRequest(path: remote)
        request.destination = .file(path: path)
        request.range = range
        do {
            try run(request)
        } catch let error as SFTPError where error.kind == .beyondEnd && range != nil {
            try createEmpty(path, name: name)  // a range past the end reads nothing, as from a file
        } catch {
            throw failure(error, "reading", name)
        }
    }

    private func createEmpty(_ path: String, name: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw StorageError.failed(address: address, reason: "reading \(name): \(path): \(String(cString: strerror(errno)))") }
        close(fd)
    }

    /// Ranges of one volume fetched at once, each on its own connection.
    public var fetchesRangesInPlace: Bool { true }

    public func get(name: String, range: Range<Int64>, intoFileAt path: String) throws {
        var request = SFTPRequest(path: try self.path(name))
        request.destination = .fileRegion(path: path, offset: range.lowerBound)
        request.range = range
        let response: SFTPResponse
        do { response = try run(request) } catch { throw failure(error, "reading", name) }
        guard response.bytesWritten == Int64(range.count) else {
            throw StorageError.failed(
                address: address, reason: "reading \(name): \(response.bytesWritten) bytes of the \(range.count) asked for at \(range.lowerBound)")
        }
    }

    /// The size comes from the server's answer to a read that starts far
    /// beyond the end ("Offset (...) was beyond file size (N)"): one
    /// round trip. Should a libcurl word it otherwise, the listing says.
    public func head(name: String) throws -> StoredObject? {
        var request = SFTPRequest(path: try self.path(name))
        request.resumeFrom = Int64(1) << 62
        request.destination = .memory(limit: 0)
        do {
            try run(request)
        } catch let error as SFTPError where error.kind == .notFound {
            return nil
        } catch let error as SFTPError where error.kind == .beyondEnd {
            if let size = Self.reportedSize(error.message) { return StoredObject(name: name, size: size) }
        } catch {
            throw failure(error, "checking", name)
        }
        return try entries().first { $0.name == name && $0.isRegularFile }.map { StoredObject(name: name, size: $0.size) }
    }

    /// N in libcurl's "... beyond file size (N)", nil when not so worded.
    static func reportedSize(_ message: String) -> Int64? {
        guard message.contains("beyond file size"), let open = message.lastIndex(of: "("), let close = message.lastIndex(of: ")"),
            open < close
        else { return nil }
        let digits = message[message.index(after: open)..<close]
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    public func delete(name: String) throws {
        let remote = try path(name)
        do {
            try run(commands(["rm \(Self.q(remote))"]))
        } catch let error as SFTPError where error.kind == .commandFailed {
            // Missing already (or removed by an earlier attempt whose answer was lost).
            guard try head(name: name) == nil else { throw failure(error, "deleting", name) }
        } catch {
            throw failure(error, "deleting", name)
        }
    }

    /// Removes the hidden partial uploads (`.NAME.bam-part`) and small
    /// objects (`.NAME.bam-new-*`) a killed run left. Called by the writer
    /// holding the target's lock: no other upload of this target is under
    /// way; a racing `create` whose temporary goes just fails its rename
    /// and finds the object, as if it had lost the race.
    public func abortUnfinishedUploads() throws -> Int {
        let leftovers = try entries().filter {
            $0.name.hasPrefix(".") && ($0.name.hasSuffix(".bam-part") || $0.name.contains(".bam-new-"))
        }
        for entry in leftovers {
            do { try run(commands(["*rm \(Self.q(location.path(entry.name)))"])) } catch {
                throw failure(error, "removing the partial upload", entry.name)
            }
        }
        return leftovers.count
    }
}
