import Crypto
import Foundation
import HTTP
import XML
#if canImport(Glibc)
import Glibc
#endif

/// A bucket prefix on an S3-compatible server (see `S3Address`), spoken to
/// with Signature V4 over libcurl. Safe to use from several threads at once.
///
/// - `put` sends small files in one PUT and large ones as multipart uploads
///   (parts in parallel), each part with `Content-MD5`; the returned ETags
///   and (with `verifyUploads`) a HEAD of the object are checked. A failed
///   multipart upload is aborted, so nothing partial stays billed or visible.
/// - Requests are retried with exponential backoff and jitter on 5xx,
///   SlowDown, resets, partial bodies and stalls, at most `maxAttempts` times.
/// - Credentials never appear in errors: messages carry the address, the
///   object and the server's error code and message.
public final class S3Backend: StorageBackend {
    public let address: String
    public let location: S3Address
    public let options: S3Options
    let signer: SigV4Signer
    let pool = HTTPSessionPool()
    let exclusiveCreate = ExclusiveCreate()

    /// Credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (`AWS_SESSION_TOKEN`), else from the registry's `credentials` file.
    public convenience init(
        address: String, options: S3Options = S3Options(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        _ = try S3Address(parsing: address, region: options.region)
        let credentials: S3Credentials
        do {
            credentials = try S3Credentials.load(environment: environment, registry: Registry.fromEnvironment(environment))
        } catch let error as BamError {
            throw StorageError.denied(address: address, reason: error.description)
        }
        try self.init(address: address, credentials: credentials, options: options)
    }

    public init(address: String, credentials: S3Credentials, options: S3Options = S3Options()) throws {
        guard options.partSize >= S3Options.minimumPartSize else {
            throw StorageError.unsupported("S3 part size must be at least 5 MiB, not \(options.partSize) bytes")
        }
        self.location = try S3Address(parsing: address, region: options.region)
        self.address = address
        self.options = options
        self.signer = SigV4Signer(credentials: credentials, region: location.region, service: "s3")
    }

    // MARK: StorageBackend

    /// Writes and deletes a probe object, trying each at most twice, so a
    /// wrong host, a missing bucket or refused credentials fail in seconds.
    public func preflight() throws {
        let probe = ".bam-preflight-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let body = Array("bam preflight probe\n".utf8)
        let put = try perform(
            Call(
                method: "PUT", key: location.prefix + probe, body: .bytes(body),
                payloadHash: SigV4Signer.sha256Hex(body)),
            operation: "writing a test object", name: nil, attempts: 2)
        guard put.isSuccess else { throw failure(put, operation: "writing a test object", name: nil) }
        let delete = try perform(
            Call(method: "DELETE", key: location.prefix + probe),
            operation: "deleting a test object", name: nil, attempts: 2)
        guard delete.isSuccess || delete.status == 404 else {
            throw failure(delete, operation: "deleting a test object", name: nil)
        }
    }

    public func list() throws -> [StoredObject] {
        var out: [StoredObject] = []
        var token: String? = nil
        repeat {
            var query = [
                ("list-type", "2"), ("prefix", location.prefix), ("delimiter", "/"),
                ("max-keys", String(max(1, options.listPageSize))),
            ]
            if let token { query.append(("continuation-token", token)) }
            let r = try perform(Call(method: "GET", key: nil, query: query), operation: "listing", name: nil)
            guard r.isSuccess else { throw failure(r, operation: "listing", name: nil) }
            let page: S3ListPage
            do { page = try S3ListPage.parse(r.body) } catch {
                throw StorageError.failed(address: address, reason: "listing: unexpected response: \(error)")
            }
            for (key, size) in page.objects where key.hasPrefix(location.prefix) {
                let name = String(key.dropFirst(location.prefix.count))
                // Dot names are preflight probes; deeper keys belong to other prefixes.
                if name.isEmpty || name.hasPrefix(".") || name.contains("/") { continue }
                out.append(StoredObject(name: name, size: size))
            }
            if page.isTruncated && page.nextContinuationToken == nil {
                throw StorageError.failed(address: address, reason: "listing: truncated page without a continuation token")
            }
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        return out
    }

    public func put(name: String, fromFile path: String) throws {
        let key = try self.key(name)
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StorageError.failed(address: address, reason: "storing \(name): \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int64(st.st_size)
        if size >= options.multipartThreshold && size > options.partSize {
            try putMultipart(name: name, key: key, path: path, size: size)
        } else {
            try putSingle(name: name, key: key, path: path, size: size)
        }
        if options.verifyUploads {
            guard let stored = try head(name: name) else {
                throw StorageError.failed(address: address, reason: "storing \(name): the object is missing right after the upload")
            }
            guard stored.size == size else {
                throw StorageError.failed(address: address, reason: "storing \(name): sent \(size) bytes but the server holds \(stored.size)")
            }
        }
    }

    public func get(name: String, range: Range<Int64>?, toFile path: String) throws {
        let key = try self.key(name)
        if let range, range.isEmpty {
            guard try head(name: name) != nil else { throw StorageError.notFound(address: address, name: name) }
            try createEmpty(path, name: name)
            return
        }
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        let r = try perform(
            Call(method: "GET", key: key, headers: headers, destination: .file(path: path)),
            operation: "reading", name: name)
        if r.status == 416 && range != nil {
            try createEmpty(path, name: name)  // a range past the end reads nothing, as from a file
            return
        }
        guard r.isSuccess else { throw failure(r, operation: "reading", name: name) }
        if let range, r.status == 200 {
            // The server ignored the Range header, or answered it with
            // status 200: keep only the range of what came.
            let start = try bodyStart(r, range: range, name: name)
            let tmp = path + ".range-\(getpid())"
            do {
                try FileCopy.copy(
                    from: path, to: tmp, mode: 0o600,
                    range: (range.lowerBound - start)..<(range.upperBound - start))
                if rename(tmp, path) != 0 { throw BamError.io(path: path, operation: "rename", errno: errno) }
            } catch {
                unlink(tmp)
                throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
            }
        }
    }

    /// Writes bytes `range` (not empty) of an object into the existing file
    /// `path` at the same offset: one part of a download in parts, which
    /// several threads fill at once without copying through part files.
    public var fetchesRangesInPlace: Bool { true }

    public func get(name: String, range: Range<Int64>, intoFileAt path: String) throws {
        let r = try perform(
            Call(
                method: "GET", key: try key(name), headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
                destination: .fileRegion(path: path, offset: range.lowerBound)),
            operation: "reading", name: name)
        if r.status == 404 { throw StorageError.notFound(address: address, name: name) }
        guard r.isSuccess else { throw failure(r, operation: "reading", name: name) }
        var got = r.bytesWritten
        if r.status == 200 {
            // The server ignored the Range header and sent the whole object,
            // or answered the range with status 200 (to memory, not over
            // the file): keep only the range.
            let start = try bodyStart(r, range: range, name: name)
            guard Int64(r.body.count) >= range.upperBound - start else {
                throw StorageError.failed(
                    address: address, reason: "reading \(name): \(r.body.count) bytes from \(start) where bytes up to \(range.upperBound) were expected")
            }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd < 0 { throw StorageError.failed(address: address, reason: "reading \(name): \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            do {
                guard lseek(fd, off_t(range.lowerBound), SEEK_SET) >= 0 else { throw BamError.io(path: path, operation: "seek", errno: errno) }
                try r.body.withUnsafeBytes { try Posix.writeAll(fd, $0.baseAddress! + Int(range.lowerBound - start), Int(range.count), path: path) }
            } catch {
                throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
            }
            got = Int64(range.count)
        }
        guard got == Int64(range.count) else {
            throw StorageError.failed(address: address, reason: "reading \(name): \(got) bytes of the \(range.count) asked for at \(range.lowerBound)")
        }
    }

    /// Where the body of a 200 answer to a ranged GET starts in the object:
    /// 0 for the whole object, else its Content-Range, which must not start
    /// after the range asked for.
    func bodyStart(_ r: HTTPResponse, range: Range<Int64>, name: String) throws -> Int64 {
        guard let start = S3ContentRange.start(r.header("Content-Range")) else { return 0 }
        guard start <= range.lowerBound else {
            throw StorageError.failed(address: address, reason: "reading \(name): the server sent bytes from \(start) for a range from \(range.lowerBound)")
        }
        return start
    }

    public func head(name: String) throws -> StoredObject? {
        try headWithETag(name: name)?.object
    }

    func headWithETag(name: String) throws -> (object: StoredObject, etag: String)? {
        let r = try perform(Call(method: "HEAD", key: try key(name)), operation: "checking", name: name)
        if r.status == 404 { return nil }
        guard r.isSuccess else { throw failure(r, operation: "checking", name: name) }
        guard let length = r.header("Content-Length").flatMap({ Int64($0) }) else {
            throw StorageError.failed(address: address, reason: "checking \(name): no Content-Length in the response")
        }
        return (StoredObject(name: name, size: length), Self.normalizedETag(r.header("ETag") ?? ""))
    }

    public func delete(name: String) throws {
        let r = try perform(Call(method: "DELETE", key: try key(name)), operation: "deleting", name: name)
        guard r.isSuccess || r.status == 404 else { throw failure(r, operation: "deleting", name: name) }
    }
}
