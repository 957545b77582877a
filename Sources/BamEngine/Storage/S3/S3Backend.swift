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
    private let signer: SigV4Signer
    private let pool = HTTPSessionPool()
    private let exclusiveCreate = ExclusiveCreate()

    /// Credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (`AWS_SESSION_TOKEN`), else from the registry's `credentials` file.
    public convenience init(address: String, options: S3Options = S3Options(),
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
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
        let put = try perform(Call(method: "PUT", key: location.prefix + probe, body: .bytes(body),
                                   payloadHash: SigV4Signer.sha256Hex(body)),
                              operation: "writing a test object", name: nil, attempts: 2)
        guard put.isSuccess else { throw failure(put, operation: "writing a test object", name: nil) }
        let delete = try perform(Call(method: "DELETE", key: location.prefix + probe),
                                 operation: "deleting a test object", name: nil, attempts: 2)
        guard delete.isSuccess || delete.status == 404 else {
            throw failure(delete, operation: "deleting a test object", name: nil)
        }
    }

    public func list() throws -> [StoredObject] {
        var out: [StoredObject] = []
        var token: String? = nil
        repeat {
            var query = [("list-type", "2"), ("prefix", location.prefix), ("delimiter", "/"),
                         ("max-keys", String(max(1, options.listPageSize)))]
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
        let r = try perform(Call(method: "GET", key: key, headers: headers, destination: .file(path: path)),
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
                try FileCopy.copy(from: path, to: tmp, mode: 0o600,
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
        let r = try perform(Call(method: "GET", key: try key(name), headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
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
                throw StorageError.failed(address: address, reason: "reading \(name): \(r.body.count) bytes from \(start) where bytes up to \(range.upperBound) were expected")
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
    private func bodyStart(_ r: HTTPResponse, range: Range<Int64>, name: String) throws -> Int64 {
        guard let start = S3ContentRange.start(r.header("Content-Range")) else { return 0 }
        guard start <= range.lowerBound else {
            throw StorageError.failed(address: address, reason: "reading \(name): the server sent bytes from \(start) for a range from \(range.lowerBound)")
        }
        return start
    }

    public func head(name: String) throws -> StoredObject? {
        try headWithETag(name: name)?.object
    }

    private func headWithETag(name: String) throws -> (object: StoredObject, etag: String)? {
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

    // MARK: Small objects

    /// A PUT with `If-None-Match: *`: AWS, MinIO and moto refuse it with
    /// 412 when the key exists, atomically. Servers that ignore the header
    /// (rclone: `createIsExclusive` finds out, once) would overwrite an
    /// existing object, and those that reject it as not implemented store
    /// nothing: both get a HEAD then a plain PUT, which never replaces an
    /// object seen to exist (the caller reads back to settle a race).
    public func create(name: String, contents: [UInt8]) throws -> Bool {
        guard try createIsExclusive() else {
            if try head(name: name) != nil { return false }
            try write(name: name, contents: contents)
            return true
        }
        switch try putIfAbsent(name: name, contents: contents) {
        case .created: return true
        case .exists: return false
        case .unsupported:
            if try head(name: name) != nil { return false }
            try write(name: name, contents: contents)
            return true
        }
    }

    /// Creates a probe object twice, once per backend: the server honours
    /// `If-None-Match: *` when the second create is refused.
    public func createIsExclusive() throws -> Bool {
        exclusiveCreate.lock.lock()
        defer { exclusiveCreate.lock.unlock() }
        if let known = exclusiveCreate.value { return known }
        let probe = ".bam-create-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let body = Array("bam create probe\n".utf8)
        defer { try? delete(name: probe) }
        let first = try putIfAbsent(name: probe, contents: body)
        let second = try putIfAbsent(name: probe, contents: body)
        let exclusive = first == .created && second == .exists
        exclusiveCreate.value = exclusive
        return exclusive
    }

    private enum ConditionalPut { case created, exists, unsupported }

    private func putIfAbsent(name: String, contents: [UInt8]) throws -> ConditionalPut {
        let r = try perform(smallPut(name: name, contents: contents, onlyIfAbsent: true), operation: "creating", name: name)
        // 409: another conditional write of this key is under way.
        if r.status == 412 || r.status == 409 { return .exists }
        if r.status == 501 || S3ErrorDocument.parse(r.body)?.code == "NotImplemented" { return .unsupported }
        guard r.isSuccess else { throw failure(r, operation: "creating", name: name) }
        try checkETag(r.header("ETag"), expected: SigV4Signer.hex(Insecure.MD5.hash(data: contents)), what: "creating \(name)")
        return .created
    }

    public func read(name: String, limit: Int) throws -> [UInt8]? {
        // The range keeps a hostile huge object from being read whole
        // (a server that ignores it is caught by the size check below).
        let r = try perform(Call(method: "GET", key: try key(name), headers: [("Range", "bytes=0-\(max(0, limit))")]),
                            operation: "reading", name: name)
        if r.status == 404 { return nil }
        if r.status == 416 { return [] }  // an empty object has no byte 0
        guard r.isSuccess else { throw failure(r, operation: "reading", name: name) }
        guard r.body.count <= limit else {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        }
        return r.body
    }

    public func write(name: String, contents: [UInt8]) throws {
        let r = try perform(smallPut(name: name, contents: contents, onlyIfAbsent: false), operation: "storing", name: name)
        guard r.isSuccess else { throw failure(r, operation: "storing", name: name) }
        try checkETag(r.header("ETag"), expected: SigV4Signer.hex(Insecure.MD5.hash(data: contents)), what: "storing \(name)")
    }

    private func smallPut(name: String, contents: [UInt8], onlyIfAbsent: Bool) throws -> Call {
        var headers = [("Content-MD5", Data(Insecure.MD5.hash(data: contents)).base64EncodedString())]
        if onlyIfAbsent { headers.append(("If-None-Match", "*")) }
        return Call(method: "PUT", key: try key(name), headers: headers, body: .bytes(contents),
                    payloadHash: SigV4Signer.sha256Hex(contents))
    }

    /// Whether this server honours `If-None-Match: *`, once probed.
    private final class ExclusiveCreate: @unchecked Sendable {
        let lock = NSLock()
        var value: Bool?
    }

    // MARK: Unfinished multipart uploads

    /// Multipart uploads under the prefix that were started and never
    /// completed or aborted (an interrupted run leaves them).
    public func unfinishedUploads() throws -> [S3MultipartUpload] {
        var out: [S3MultipartUpload] = []
        var keyMarker: String? = nil
        var idMarker: String? = nil
        while true {
            var query = [("uploads", ""), ("prefix", location.prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let idMarker { query.append(("upload-id-marker", idMarker)) }
            let r = try perform(Call(method: "GET", key: nil, query: query), operation: "listing unfinished uploads", name: nil)
            if Self.listsNoUploads(r) { return out }
            guard r.isSuccess else { throw failure(r, operation: "listing unfinished uploads", name: nil) }
            let page: S3UploadsPage
            do { page = try S3UploadsPage.parse(r.body) } catch {
                throw StorageError.failed(address: address, reason: "listing unfinished uploads: unexpected response: \(error)")
            }
            out += page.uploads.filter { $0.key.hasPrefix(location.prefix) }
            guard page.isTruncated, page.nextKeyMarker != nil || page.nextUploadIDMarker != nil else { break }
            keyMarker = page.nextKeyMarker
            idMarker = page.nextUploadIDMarker
        }
        return out
    }

    /// rclone (gofakes3) answers the listing with 404 `NoSuchUpload` when
    /// there is none, and servers without the call answer 501
    /// `NotImplemented`: either way there is nothing this call can abort
    /// (a server that cannot list uploads cannot be asked to abort them).
    static func listsNoUploads(_ r: HTTPResponse) -> Bool {
        let code = S3ErrorDocument.parse(r.body)?.code
        return (r.status == 404 && code == "NoSuchUpload") || r.status == 501 || code == "NotImplemented"
    }

    public func abort(_ upload: S3MultipartUpload) throws {
        let r = try perform(Call(method: "DELETE", key: upload.key, query: [("uploadId", upload.uploadID)]),
                            operation: "aborting the upload of", name: upload.key)
        guard r.isSuccess || r.status == 404 else { throw failure(r, operation: "aborting the upload of", name: upload.key) }
    }

    /// Aborts every unfinished upload under the prefix; returns how many.
    @discardableResult
    public func abortUnfinishedUploads() throws -> Int {
        let uploads = try unfinishedUploads()
        for upload in uploads { try abort(upload) }
        return uploads.count
    }

    // MARK: Uploads

    private func putSingle(name: String, key: String, path: String, size: Int64) throws {
        let digest = try fileDigest(path, offset: 0, length: size, name: name)
        let r = try perform(Call(method: "PUT", key: key, headers: [("Content-MD5", digest.md5Base64)],
                                 body: .file(path: path, offset: 0, length: size), payloadHash: digest.sha256Hex),
                            operation: "storing", name: name)
        guard r.isSuccess else { throw failure(r, operation: "storing", name: name) }
        try checkETag(r.header("ETag"), expected: digest.md5Hex, what: "storing \(name)")
    }

    private func putMultipart(name: String, key: String, path: String, size: Int64) throws {
        var partSize = options.partSize
        let smallest = (size + S3Options.maximumParts - 1) / S3Options.maximumParts
        if partSize < smallest { partSize = (smallest + (1 << 20) - 1) / (1 << 20) * (1 << 20) }
        let count = Int((size + partSize - 1) / partSize)

        let started = try perform(Call(method: "POST", key: key, query: [("uploads", "")]),
                                  operation: "starting the upload of", name: name)
        guard started.isSuccess else { throw failure(started, operation: "starting the upload of", name: name) }
        let uploadID: String
        do { uploadID = try S3InitiateResult.uploadID(started.body) } catch {
            throw StorageError.failed(address: address, reason: "starting the upload of \(name): unexpected response: \(error)")
        }
        do {
            let parts = try uploadParts(name: name, key: key, path: path, size: size, partSize: partSize,
                                        count: count, uploadID: uploadID)
            try complete(name: name, key: key, uploadID: uploadID, parts: parts, size: size)
        } catch {
            // Best effort: an upload left behind is found and aborted by
            // abortUnfinishedUploads() when the run resumes.
            _ = try? perform(Call(method: "DELETE", key: key, query: [("uploadId", uploadID)]),
                             operation: "aborting the upload of", name: name, attempts: 3)
            throw error
        }
    }

    private struct Part {
        var etag: String
        var md5: [UInt8]
    }

    private final class PartQueue: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var parts: [Part?]
        var error: Error?
        init(count: Int) { parts = Array(repeating: nil, count: count) }
    }

    private func uploadParts(name: String, key: String, path: String, size: Int64, partSize: Int64,
                             count: Int, uploadID: String) throws -> [Part] {
        let queue = PartQueue(count: count)
        let work: @Sendable () -> Void = { [self] in
            while true {
                queue.lock.lock()
                if queue.error != nil || queue.next >= count { queue.lock.unlock(); return }
                let index = queue.next
                queue.next += 1
                queue.lock.unlock()
                do {
                    let offset = Int64(index) * partSize
                    let part = try uploadPart(name: name, key: key, path: path, offset: offset,
                                              length: min(partSize, size - offset), number: index + 1, uploadID: uploadID)
                    queue.lock.lock()
                    queue.parts[index] = part
                    queue.lock.unlock()
                } catch {
                    queue.lock.lock()
                    if queue.error == nil { queue.error = error }
                    queue.lock.unlock()
                    return
                }
            }
        }
        WorkerThreads.run(min(options.partConcurrency, count), work)
        if let error = queue.error { throw error }
        return queue.parts.map { $0! }
    }

    private func uploadPart(name: String, key: String, path: String, offset: Int64, length: Int64,
                            number: Int, uploadID: String) throws -> Part {
        let digest = try fileDigest(path, offset: offset, length: length, name: name)
        let what = "storing part \(number) of"
        let r = try perform(Call(method: "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                 headers: [("Content-MD5", digest.md5Base64)],
                                 body: .file(path: path, offset: offset, length: length), payloadHash: digest.sha256Hex),
                            operation: what, name: name)
        guard r.isSuccess else { throw failure(r, operation: what, name: name) }
        guard let etag = r.header("ETag"), !etag.isEmpty else {
            throw StorageError.failed(address: address, reason: "\(what) \(name): no ETag in the response")
        }
        try checkETag(etag, expected: digest.md5Hex, what: "\(what) \(name)")
        return Part(etag: etag, md5: digest.md5)
    }

    private func complete(name: String, key: String, uploadID: String, parts: [Part], size: Int64) throws {
        let body = S3CompleteResult.body(etags: parts.map(\.etag))
        let call = Call(method: "POST", key: key, query: [("uploadId", uploadID)],
                        headers: [("Content-Type", "application/xml")], body: .bytes(body),
                        payloadHash: SigV4Signer.sha256Hex(body))
        let what = "completing the upload of"
        var all: [UInt8] = []
        for part in parts { all += part.md5 }
        let expected = SigV4Signer.hex(Insecure.MD5.hash(data: all)) + "-\(parts.count)"
        var attempt = 0
        while true {
            attempt += 1
            let r = try perform(call, operation: what, name: name)
            if !r.isSuccess {
                // A retry after a lost answer finds the upload already
                // completed: the object is there with this upload's ETag.
                if S3ErrorDocument.parse(r.body)?.code == "NoSuchUpload",
                   let stored = try headWithETag(name: name), stored.object.size == size, stored.etag == expected {
                    return
                }
                throw failure(r, operation: what, name: name)
            }
            let result: Result<String, S3ErrorDocument>
            do { result = try S3CompleteResult.parse(r.body) } catch {
                throw StorageError.failed(address: address, reason: "\(what) \(name): unexpected response: \(error)")
            }
            switch result {
            case let .success(etag):
                try checkETag(etag, expected: expected, what: "\(what) \(name)")
                return
            case let .failure(doc):
                // S3 may report a failure inside a 200 response.
                if attempt < options.maxAttempts && Self.retryableCodes.contains(doc.code) {
                    backoff(attempt)
                    continue
                }
                throw StorageError.failed(address: address, reason: "\(what) \(name): \(doc.code): \(doc.message)")
            }
        }
    }

    /// Compares an ETag with the MD5 the data should have, when the ETag is
    /// an MD5 at all (servers with SSE-KMS and some others send other values).
    private func checkETag(_ raw: String?, expected: String, what: String) throws {
        guard let raw else { return }
        let etag = Self.normalizedETag(raw)
        let hexPart = etag.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        guard hexPart.count == 32, hexPart.allSatisfy({ $0.isHexDigit }) else { return }
        guard etag == expected.lowercased() else {
            throw StorageError.failed(address: address, reason: "\(what): the server's ETag \(etag) does not match the data sent (\(expected))")
        }
    }

    /// An ETag without its quotes, in lowercase.
    static func normalizedETag(_ raw: String) -> String {
        raw.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).lowercased()
    }

    private struct Digest {
        var sha256Hex: String
        var md5: [UInt8]
        var md5Hex: String { SigV4Signer.hex(md5) }
        var md5Base64: String { Data(md5).base64EncodedString() }
    }

    private func fileDigest(_ path: String, offset: Int64, length: Int64, name: String) throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StorageError.failed(address: address, reason: "storing \(name): \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var sha = SHA256()
        var md5 = Insecure.MD5()
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < length {
            let want = Int(min(Int64(bufferSize), length - done))
            let n = pread(fd, buffer.baseAddress, want, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let reason = n < 0 ? String(cString: strerror(errno)) : "file shorter than expected"
                throw StorageError.failed(address: address, reason: "storing \(name): \(path): \(reason)")
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            sha.update(bufferPointer: chunk)
            md5.update(bufferPointer: chunk)
            done += Int64(n)
        }
        return Digest(sha256Hex: SigV4Signer.hex(sha.finalize()), md5: Array(md5.finalize()))
    }

    private func createEmpty(_ path: String, name: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StorageError.failed(address: address, reason: "reading \(name): \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    // MARK: Requests

    struct Call {
        var method: String
        /// The full key, prefix included; nil for requests on the bucket.
        var key: String?
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: HTTPBody = .none
        var payloadHash: String = SigV4Signer.emptyPayloadHash
        var destination: HTTPResponseDestination = .memory
    }

    private func key(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw StorageError.failed(address: address, reason: "invalid object name \(name)")
        }
        return location.prefix + name
    }

    /// One signed request, without retries.
    private func send(_ call: Call) throws -> HTTPResponse {
        var path = "/" + SigV4Signer.uriEncode(location.bucket, keepSlash: false)
        if let key = call.key { path += "/" + SigV4Signer.uriEncode(key, keepSlash: true) }
        let query = SigV4Signer.canonicalQuery(call.query)
        let signed = signer.sign(method: call.method, canonicalURI: path, query: call.query,
                                 headers: [("host", location.hostHeader)] + call.headers,
                                 payloadHash: call.payloadHash, date: Date())
        var headers: [(name: String, value: String)] = [("Host", location.hostHeader)]
        headers += call.headers.map { (name: $0.0, value: $0.1) }
        headers += signed
        let request = HTTPRequest(method: call.method, url: location.endpoint + path + (query.isEmpty ? "" : "?" + query),
                                  headers: headers, body: call.body, destination: call.destination,
                                  timeouts: HTTPTimeouts(connectSeconds: options.connectTimeoutSeconds,
                                                         lowSpeedBytesPerSecond: 1,
                                                         lowSpeedSeconds: options.stallTimeoutSeconds))
        return try pool.perform(request)
    }

    static let retryableCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                                              "Throttling", "ThrottlingException", "RequestLimitExceeded"]

    static func isRetryable(_ r: HTTPResponse) -> Bool {
        if r.status >= 500 || r.status == 429 { return true }
        if r.status == 400 || r.status == 403, let doc = S3ErrorDocument.parse(r.body) {
            return retryableCodes.contains(doc.code)
        }
        return false
    }

    /// Sends `call`, retrying transient failures; returns the last response
    /// whatever its status, or throws a `StorageError` when none arrived.
    private func perform(_ call: Call, operation: String, name: String?, attempts: Int? = nil) throws -> HTTPResponse {
        let maxAttempts = max(1, attempts ?? options.maxAttempts)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try send(call)
                if attempt < maxAttempts && Self.isRetryable(response) {
                    backoff(attempt)
                    continue
                }
                return response
            } catch let error as HTTPError {
                if attempt < maxAttempts && error.isTransient {
                    backoff(attempt)
                    continue
                }
                throw failure(error, operation: operation, name: name, attempts: attempt)
            }
        }
    }

    private func backoff(_ attempt: Int) {
        let delay = min(options.retryMaxDelay, options.retryBaseDelay * pow(2, Double(attempt - 1)))
        guard delay > 0 else { return }
        Thread.sleep(forTimeInterval: Double.random(in: (delay / 2)...delay))
    }

    private func describe(_ operation: String, _ name: String?) -> String {
        name.map { "\(operation) \($0)" } ?? operation
    }

    /// The error for a response that is not a success.
    func failure(_ r: HTTPResponse, operation: String, name: String?) -> StorageError {
        let doc = S3ErrorDocument.parse(r.body)
        let code = doc?.code ?? ""
        let detail: String
        if let doc, !doc.code.isEmpty {
            detail = doc.message.isEmpty ? "\(doc.code) (HTTP \(r.status))" : "\(doc.code) (HTTP \(r.status)): \(doc.message)"
        } else {
            detail = "HTTP \(r.status)"
        }
        let what = describe(operation, name)
        switch (r.status, code) {
        case (_, "NoSuchBucket"):
            return .notFound(address: address, name: "bucket \(location.bucket)")
        case (404, _):
            if let name, code != "NoSuchUpload" { return .notFound(address: address, name: name) }
            if code.isEmpty && name == nil { return .notFound(address: address, name: "bucket \(location.bucket)") }
            return .failed(address: address, reason: "\(what): \(detail)")
        case (_, "SignatureDoesNotMatch"):
            return .denied(address: address, reason: "\(what): the server rejected the request signature (SignatureDoesNotMatch): the secret key is wrong")
        case (_, "InvalidAccessKeyId"):
            return .denied(address: address, reason: "\(what): the server does not know the access key ID (InvalidAccessKeyId)")
        case (_, "ExpiredToken"), (_, "TokenRefreshRequired"):
            return .denied(address: address, reason: "\(what): the session token has expired (\(code))")
        case (_, "InvalidToken"):
            return .denied(address: address, reason: "\(what): the session token is not valid (InvalidToken)")
        case (_, "RequestTimeTooSkewed"):
            return .denied(address: address, reason: "\(what): this machine's clock differs too much from the server's (RequestTimeTooSkewed)")
        case (401, _), (403, _):
            if doc == nil {
                return .denied(address: address, reason: "\(what): access denied (HTTP \(r.status)): wrong access key or secret key, or no permission")
            }
            return .denied(address: address, reason: "\(what): access denied: \(detail)")
        case _ where Self.isRetryable(r):
            return .transient(address: address, reason: "\(what): \(detail)")
        default:
            return .failed(address: address, reason: "\(what): \(detail)")
        }
    }

    /// The error for a transfer that got no response.
    func failure(_ error: HTTPError, operation: String, name: String?, attempts: Int) -> StorageError {
        let what = describe(operation, name)
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        switch error.kind {
        case .couldNotResolve, .couldNotConnect:
            return .unreachable(address: address, reason: "\(what): cannot connect to \(location.hostHeader): \(error.message)\(tries)")
        case .tls where !error.isTransient:
            return .unreachable(address: address, reason: "\(what): TLS with \(location.hostHeader) failed: \(error.message)")
        case .localFile, .other:
            return .failed(address: address, reason: "\(what): \(error.message)")
        default:
            return .transient(address: address, reason: "\(what): \(error.message)\(tries)")
        }
    }
}
