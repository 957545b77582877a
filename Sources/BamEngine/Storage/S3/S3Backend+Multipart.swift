import Crypto
import Foundation
import HTTP
import XML
#if canImport(Glibc)
import Glibc
#endif

/// Multipart uploads: large objects in parts sent in parallel, each
/// checked, completed or aborted; and the unfinished uploads an
/// interrupted run leaves, listed and aborted.
extension S3Backend {
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
        let r = try perform(
            Call(method: "DELETE", key: upload.key, query: [("uploadId", upload.uploadID)]),
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

    func putSingle(name: String, key: String, path: String, size: Int64) throws {
        let digest = try fileDigest(path, offset: 0, length: size, name: name)
        let r = try perform(
            Call(
                method: "PUT", key: key, headers: [("Content-MD5", digest.md5Base64)],
                body: .file(path: path, offset: 0, length: size), payloadHash: digest.sha256Hex),
            operation: "storing", name: name)
        guard r.isSuccess else { throw failure(r, operation: "storing", name: name) }
        try checkETag(r.header("ETag"), expected: digest.md5Hex, what: "storing \(name)")
    }

    func putMultipart(name: String, key: String, path: String, size: Int64) throws {
        var partSize = options.partSize
        let smallest = (size + S3Options.maximumParts - 1) / S3Options.maximumParts
        if partSize < smallest { partSize = (smallest + (1 << 20) - 1) / (1 << 20) * (1 << 20) }
        let count = Int((size + partSize - 1) / partSize)

        let started = try perform(
            Call(method: "POST", key: key, query: [("uploads", "")]),
            operation: "starting the upload of", name: name)
        guard started.isSuccess else { throw failure(started, operation: "starting the upload of", name: name) }
        let uploadID: String
        do { uploadID = try S3InitiateResult.uploadID(started.body) } catch {
            throw StorageError.failed(address: address, reason: "starting the upload of \(name): unexpected response: \(error)")
        }
        do {
            let parts = try uploadParts(
                name: name, key: key, path: path, size: size, partSize: partSize,
                count: count, uploadID: uploadID)
            try complete(name: name, key: key, uploadID: uploadID, parts: parts, size: size)
        } catch {
            // Best effort: an upload left behind is found and aborted by
            // abortUnfinishedUploads() when the run resumes.
            _ = try? perform(
                Call(method: "DELETE", key: key, query: [("uploadId", uploadID)]),
                operation: "aborting the upload of", name: name, attempts: 3)
            throw error
        }
    }

    struct Part {
        var etag: String
        var md5: [UInt8]
    }

    final class PartQueue: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var parts: [Part?]
        var error: Error?
        init(count: Int) { parts = Array(repeating: nil, count: count) }
    }

    func uploadParts(
        name: String, key: String, path: String, size: Int64, partSize: Int64,
        count: Int, uploadID: String
    ) throws -> [Part] {
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
                    let part = try uploadPart(
                        name: name, key: key, path: path, offset: offset,
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

    func uploadPart(
        name: String, key: String, path: String, offset: Int64, length: Int64,
        number: Int, uploadID: String
    ) throws -> Part {
        let digest = try fileDigest(path, offset: offset, length: length, name: name)
        let what = "storing part \(number) of"
        let r = try perform(
            Call(
                method: "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
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

    func complete(name: String, key: String, uploadID: String, parts: [Part], size: Int64) throws {
        let body = S3CompleteResult.body(etags: parts.map(\.etag))
        let call = Call(
            method: "POST", key: key, query: [("uploadId", uploadID)],
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
                    let stored = try headWithETag(name: name), stored.object.size == size, stored.etag == expected
                {
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
    func checkETag(_ raw: String?, expected: String, what: String) throws {
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

    struct Digest {
        var sha256Hex: String
        var md5: [UInt8]
        var md5Hex: String { SigV4Signer.hex(md5) }
        var md5Base64: String { Data(md5).base64EncodedString() }
    }

    func fileDigest(_ path: String, offset: Int64, length: Int64, name: String) throws -> Digest {
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

    func createEmpty(_ path: String, name: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StorageError.failed(address: address, reason: "reading \(name): \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
