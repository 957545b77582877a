import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// A collection on a WebDAV server (`webdav://` over HTTP, `webdavs://`
/// over HTTPS: Apache mod_dav, nginx, Nextcloud, a NAS). Safe to use from
/// several threads at once.
///
/// - `put` uploads under a dot name and publishes with `MOVE` (`Overwrite:
///   T`), so a reader never sees a partial volume under its final name;
///   the stored size is then checked.
/// - `list` is one `PROPFIND` with `Depth: 1` (see `WebDAVListing`).
/// - `create` is a `PUT` with `If-None-Match: *`; whether the server honours
///   it is probed once (`createIsExclusive`), and a server that does not
///   gets a check then a plain upload.
/// - The password goes to libcurl with setopt and never into a message.
public final class WebDAVBackend: StorageBackend {
    public let address: String
    public let location: ServerPathAddress
    let credentials: HTTPCredentials?
    let tls: HTTPTLS
    let pool = HTTPSessionPool()
    let baseURL: String
    let exclusiveCreate = ExclusiveCreateProbe()
    /// Tries per request, the first included, on resets, timeouts and 502-504.
    var maxAttempts = 4

    public init(address: String, credentials: HTTPCredentials?, caFile: String? = nil) throws {
        location = try ServerPathAddress(parsing: address, schemes: ["webdav", "webdavs"])
        self.address = address
        self.credentials = credentials
        tls = HTTPTLS(caFile: caFile)
        baseURL = (location.scheme == "webdavs" ? "https://" : "http://") + location.hostPort
    }

    var collectionURL: String { baseURL + location.encodedDirectory }

    func url(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw StorageError.failed(address: address, reason: "invalid object name \(name)")
        }
        return collectionURL + ServerPathAddress.percentEncoded(name)
    }

    // MARK: StorageBackend

    /// Creates the collection (and its parents) when missing, then writes
    /// and deletes a probe, so a wrong host, password or path fails at once.
    public func preflight() throws {
        var path = "/"
        for segment in location.segments {
            path += ServerPathAddress.percentEncoded(segment) + "/"
            let r = try perform("MKCOL", baseURL + path, operation: "creating the collection", name: nil, attempts: 2)
            // 405: it exists; 301: a server redirecting to the slash form.
            guard r.isSuccess || r.status == 405 || r.status == 301 else {
                throw failure(r, operation: "creating the collection \(path)", name: nil)
            }
        }
        let probe = ".bam-preflight-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let put = try perform(
            "PUT", try url(probe), body: .bytes(Array("bam preflight probe\n".utf8)), operation: "writing a test object", name: nil, attempts: 2)
        guard put.isSuccess else { throw failure(put, operation: "writing a test object", name: nil) }
        let delete = try perform("DELETE", try url(probe), operation: "deleting a test object", name: nil, attempts: 2)
        guard delete.isSuccess || delete.status == 404 else { throw failure(delete, operation: "deleting a test object", name: nil) }
    }

    public func list() throws -> [StoredObject] { try list(hidden: false) }

    func list(hidden: Bool) throws -> [StoredObject] {
        let r = try perform(
            "PROPFIND", collectionURL, headers: [("Depth", "1"), ("Content-Type", "application/xml; charset=utf-8")],
            body: .bytes(WebDAVListing.requestBody), operation: "listing", name: nil)
        guard r.status == 207 else { throw failure(r, operation: "listing", name: nil) }
        do {
            return try WebDAVListing.parse(r.body, collection: location.segments, hidden: hidden)
        } catch {
            throw StorageError.failed(address: address, reason: "listing: \(error)")
        }
    }

    public func put(name: String, fromFile path: String) throws {
        let target = try url(name)
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StorageError.failed(address: address, reason: "storing \(name): \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int64(st.st_size)
        try upload(name: name, target: target, body: .file(path: path, offset: 0, length: size))
        guard let stored = try head(name: name) else {
            throw StorageError.failed(address: address, reason: "storing \(name): the object is missing right after the upload")
        }
        guard stored.size == size else {
            throw StorageError.failed(address: address, reason: "storing \(name): sent \(size) bytes but the server holds \(stored.size)")
        }
    }

    /// PUT under a temporary dot name, then MOVE over the final name.
    func upload(name: String, target: String, body: HTTPBody) throws {
        let temporary = try url(".bam-upload-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        var published = false
        defer { if !published { _ = try? perform("DELETE", temporary, operation: "deleting", name: nil, attempts: 1) } }
        let put = try perform("PUT", temporary, body: body, operation: "storing", name: name)
        guard put.isSuccess else { throw failure(put, operation: "storing", name: name) }
        let move = try perform(
            "MOVE", temporary, headers: [("Destination", target), ("Overwrite", "T")], operation: "storing", name: name)
        guard move.isSuccess else { throw failure(move, operation: "storing (MOVE)", name: name) }
        published = true
    }

    public func get(name: String, range: Range<Int64>?, toFile path: String) throws {
        let source = try url(name)
        if let range, range.isEmpty {
            guard try head(name: name) != nil else { throw StorageError.notFound(address: address, name: name) }
            try createEmpty(path, name: name)
            return
        }
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        let r = try perform("GET", source, headers: headers, destination: .file(path: path), operation: "reading", name: name)
        if r.status == 416 && range != nil {
            try createEmpty(path, name: name)  // a range past the end reads nothing, as from a file
            return
        }
        guard r.isSuccess else { throw failure(r, operation: "reading", name: name) }
        if let range, r.status == 200 {
            // The server ignored the Range header: keep only the range.
            let tmp = path + ".range-\(getpid())"
            do {
                try FileCopy.copy(from: path, to: tmp, mode: 0o600, range: range)
                if rename(tmp, path) != 0 { throw BamError.io(path: path, operation: "rename", errno: errno) }
            } catch {
                unlink(tmp)
                unlink(path)
                throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
            }
        }
    }

    func createEmpty(_ path: String, name: String) throws {
        do { try Posix.writeFileAtomically(path, [], mode: 0o600) } catch {
            throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
        }
    }

    public func head(name: String) throws -> StoredObject? {
        let r = try perform("HEAD", try url(name), operation: "checking", name: name)
        if r.status == 404 { return nil }
        guard r.isSuccess else { throw failure(r, operation: "checking", name: name) }
        guard let text = r.header("Content-Length") else {
            // Apache sends none for an empty file's HEAD: ask the property.
            return try propertySize(name: name)
        }
        guard let length = Int64(text.trimmingCharacters(in: .whitespaces)), length >= 0 else {
            throw StorageError.failed(address: address, reason: "checking \(name): invalid Content-Length \(WebDAVListing.excerpt(text))")
        }
        return StoredObject(name: name, size: length)
    }

    /// The size `PROPFIND` (`Depth: 0`) gives for `name`, nil when missing.
    func propertySize(name: String) throws -> StoredObject? {
        let r = try perform(
            "PROPFIND", try url(name), headers: [("Depth", "0"), ("Content-Type", "application/xml; charset=utf-8")],
            body: .bytes(WebDAVListing.requestBody), operation: "checking", name: name)
        if r.status == 404 { return nil }
        guard r.status == 207 else { throw failure(r, operation: "checking", name: name) }
        let found: [StoredObject]
        do { found = try WebDAVListing.parse(r.body, collection: location.segments, hidden: true) } catch {
            throw StorageError.failed(address: address, reason: "checking \(name): \(error)")
        }
        guard let object = found.first(where: { $0.name == name }) else {
            throw StorageError.failed(address: address, reason: "checking \(name): the server gives no size for it")
        }
        return object
    }

    public func delete(name: String) throws {
        let r = try perform("DELETE", try url(name), operation: "deleting", name: name)
        guard r.isSuccess || r.status == 404 else { throw failure(r, operation: "deleting", name: name) }
    }

    /// Removes the temporary uploads a killed run left (the caller holds
    /// the target's lock, so no other writer has one under way).
    public func abortUnfinishedUploads() throws -> Int {
        let leftovers = try list(hidden: true).filter { $0.name.hasPrefix(".bam-upload-") }
        for object in leftovers { try delete(name: object.name) }
        return leftovers.count
    }

    // MARK: Small objects (the target lock)

    public func create(name: String, contents: [UInt8]) throws -> Bool {
        if try createIsExclusive() {
            return try putIfAbsent(name: name, contents: contents)
        }
        if try head(name: name) != nil { return false }
        try write(name: name, contents: contents)
        return true
    }

    /// Creates a probe twice with `If-None-Match: *`, once per backend:
    /// the server honours it when the second create is refused.
    public func createIsExclusive() throws -> Bool {
        exclusiveCreate.lock.lock()
        defer { exclusiveCreate.lock.unlock() }
        if let known = exclusiveCreate.value { return known }
        let probe = ".bam-create-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? delete(name: probe) }
        let first = try putIfAbsent(name: probe, contents: Array("bam create probe\n".utf8))
        let second = try putIfAbsent(name: probe, contents: Array("bam create probe\n".utf8))
        exclusiveCreate.value = first && !second
        return first && !second
    }

    /// True when the PUT created the object, false when the server refused
    /// it as existing (412).
    func putIfAbsent(name: String, contents: [UInt8]) throws -> Bool {
        let r = try perform("PUT", try url(name), headers: [("If-None-Match", "*")], body: .bytes(contents), operation: "creating", name: name)
        if r.status == 412 { return false }
        guard r.isSuccess else { throw failure(r, operation: "creating", name: name) }
        return true
    }

    public func read(name: String, limit: Int) throws -> [UInt8]? {
        // The range keeps a hostile huge object from being read whole (a
        // server that ignores it is caught by the size check below).
        let r = try perform("GET", try url(name), headers: [("Range", "bytes=0-\(max(0, limit))")], operation: "reading", name: name)
        if r.status == 404 { return nil }
        if r.status == 416 { return [] }  // an empty object has no byte 0
        guard r.isSuccess else { throw failure(r, operation: "reading", name: name) }
        guard r.body.count <= limit else {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        }
        return r.body
    }

    public func write(name: String, contents: [UInt8]) throws {
        try upload(name: name, target: try url(name), body: .bytes(contents))
    }

    /// Whether this server honours `If-None-Match: *`, once probed.
    final class ExclusiveCreateProbe: @unchecked Sendable {
        let lock = NSLock()
        var value: Bool?
    }
}
