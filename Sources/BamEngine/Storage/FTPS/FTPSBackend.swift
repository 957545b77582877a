import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// A directory on an FTP server spoken to over explicit TLS (`ftps://`:
/// `AUTH TLS` on port 21, control and data connections encrypted, the
/// certificate checked); plain FTP is never used. The path is relative to
/// the login directory, as in any FTP URL. Safe to use from several
/// threads at once (each transfer takes a connection of its own).
///
/// - `put` stores under a dot name and publishes with `RNFR`/`RNTO` on the
///   same connection, so a reader never sees a partial volume under its
///   final name; the stored size is then checked with `SIZE`.
/// - `list` parses `LIST` (see `FTPListing`).
/// - FTP has no exclusive create: `createIsExclusive` is false, and
///   `create` checks then stores (the lock reads back to settle a race).
public final class FTPSBackend: StorageBackend {
    public let address: String
    public let location: ServerPathAddress
    let credentials: HTTPCredentials?
    let tls: HTTPTLS
    let pool = HTTPSessionPool()
    let directoryURL: String
    /// Tries per request, the first included, on resets and timeouts.
    var maxAttempts = 4

    public init(address: String, credentials: HTTPCredentials?, caFile: String? = nil) throws {
        location = try ServerPathAddress(parsing: address, schemes: ["ftps"])
        for segment in location.segments where segment.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw StorageError.unsupported("invalid storage address \(address): control characters in the path \(segment)")
        }
        self.address = address
        self.credentials = credentials
        tls = HTTPTLS(caFile: caFile)
        directoryURL = "ftp://" + location.hostPort + location.encodedDirectory
    }

    /// A name that is also safe in an FTP command line (`RNTO name`).
    func checked(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..",
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else {
            throw StorageError.failed(address: address, reason: "invalid object name \(name)")
        }
        return name
    }

    func url(_ name: String) throws -> String { directoryURL + ServerPathAddress.percentEncoded(try checked(name)) }

    // MARK: StorageBackend

    /// Creates the directory when missing, then stores and deletes a probe.
    public func preflight() throws {
        let probe = ".bam-preflight-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var request = self.request("PUT", try url(probe), body: .bytes(Array("bam preflight probe\n".utf8)))
        request.createDirectories = true
        request.postQuote = ["DELE \(probe)"]
        _ = try perform(request, operation: "writing and deleting a test object", name: nil, attempts: 2)
    }

    public func list() throws -> [StoredObject] {
        let r = try perform(request("GET", directoryURL), operation: "listing", name: nil)
        do { return try FTPListing.parse(r.body) } catch { throw StorageError.failed(address: address, reason: "listing: \(error)") }
    }

    /// Removes the temporary uploads a killed run left (`LIST -a` shows
    /// dot names; the caller holds the target's lock, so no other writer
    /// has one under way).
    public func abortUnfinishedUploads() throws -> Int {
        let r = try perform(request("LIST -a", directoryURL), operation: "listing", name: nil)
        let leftovers: [StoredObject]
        do { leftovers = try FTPListing.parse(r.body, hidden: true).filter { $0.name.hasPrefix(".bam-upload-") } } catch {
            throw StorageError.failed(address: address, reason: "listing: \(error)")
        }
        for object in leftovers { try removeQuietly(object.name) }
        return leftovers.count
    }

    public func put(name: String, fromFile path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StorageError.failed(address: address, reason: "storing \(name): \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int64(st.st_size)
        try upload(name: name, body: .file(path: path, offset: 0, length: size))
        guard let stored = try head(name: name) else {
            throw StorageError.failed(address: address, reason: "storing \(name): the object is missing right after the upload")
        }
        guard stored.size == size else {
            throw StorageError.failed(address: address, reason: "storing \(name): sent \(size) bytes but the server holds \(stored.size)")
        }
    }

    /// STOR under a temporary dot name, then RNFR/RNTO over the final name.
    func upload(name: String, body: HTTPBody) throws {
        let final = try checked(name)
        let temporary = ".bam-upload-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        var request = self.request("PUT", try url(temporary), body: body)
        request.postQuote = ["RNFR \(temporary)", "RNTO \(final)"]
        do {
            _ = try perform(request, operation: "storing", name: name)
        } catch {
            try? removeQuietly(temporary)
            throw error
        }
    }

    public func get(name: String, range: Range<Int64>?, toFile path: String) throws {
        var request = self.request("GET", try url(name), destination: .file(path: path))
        if let range {
            // FTP resumes at an offset (REST): past the end is an error
            // there, and empty here, as from a file.
            guard let size = try head(name: name)?.size else { throw StorageError.notFound(address: address, name: name) }
            let end = min(range.upperBound, size)
            if range.lowerBound >= end {
                do { try Posix.writeFileAtomically(path, [], mode: 0o600) } catch {
                    throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
                }
                return
            }
            request.range = "\(range.lowerBound)-\(end - 1)"
        }
        _ = try perform(request, operation: "reading", name: name)
    }

    public func head(name: String) throws -> StoredObject? {
        let r: HTTPResponse
        do {
            r = try perform(request("HEAD", try url(name)), operation: "checking", name: name)
        } catch StorageError.notFound {
            return nil
        }
        guard let text = r.header("Content-Length"), let size = Int64(text), size >= 0 else {
            // No SIZE answer: the name is not a plain file.
            return nil
        }
        return StoredObject(name: name, size: size)
    }

    public func delete(name: String) throws {
        let target = try checked(name)
        try removeQuietly(target)
        if try head(name: target) != nil {
            throw StorageError.failed(address: address, reason: "deleting \(name): the server did not remove it")
        }
    }

    /// DELE without failing when the file is missing (`*`: libcurl goes on).
    func removeQuietly(_ name: String) throws {
        var request = self.request("HEAD", directoryURL)
        request.postQuote = ["*DELE \(try checked(name))"]
        _ = try perform(request, operation: "deleting", name: name)
    }

    // MARK: Small objects (the target lock)

    public func create(name: String, contents: [UInt8]) throws -> Bool {
        if try head(name: name) != nil { return false }
        try write(name: name, contents: contents)
        return true
    }

    /// FTP has no command that stores only if the name is free.
    public func createIsExclusive() throws -> Bool { false }

    public func read(name: String, limit: Int) throws -> [UInt8]? {
        // SIZE first: a hostile huge object is refused before any byte
        // comes, and an empty one needs no REST (past the end on FTP).
        guard let size = try head(name: name)?.size else { return nil }
        guard size <= Int64(max(0, limit)) else {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        }
        if size == 0 { return [] }
        var request = self.request("GET", try url(name))
        request.range = "0-\(limit)"  // libcurl stops there whatever the server sends
        let r: HTTPResponse
        do { r = try perform(request, operation: "reading", name: name) } catch StorageError.notFound { return nil }
        guard r.body.count <= limit else {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        }
        return r.body
    }

    public func write(name: String, contents: [UInt8]) throws {
        try upload(name: name, body: .bytes(contents))
    }
}
