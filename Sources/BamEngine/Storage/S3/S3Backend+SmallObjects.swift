import Crypto
import Foundation
import HTTP
import XML
#if canImport(Glibc)
import Glibc
#endif

/// Small objects kept in memory (the target lock): create-if-absent with
/// `If-None-Match: *`, probed once per backend, read and write.
extension S3Backend {
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

    enum ConditionalPut { case created, exists, unsupported }

    func putIfAbsent(name: String, contents: [UInt8]) throws -> ConditionalPut {
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
        let r = try perform(
            Call(method: "GET", key: try key(name), headers: [("Range", "bytes=0-\(max(0, limit))")]),
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

    func smallPut(name: String, contents: [UInt8], onlyIfAbsent: Bool) throws -> Call {
        var headers = [("Content-MD5", Data(Insecure.MD5.hash(data: contents)).base64EncodedString())]
        if onlyIfAbsent { headers.append(("If-None-Match", "*")) }
        return Call(
            method: "PUT", key: try key(name), headers: headers, body: .bytes(contents),
            payloadHash: SigV4Signer.sha256Hex(contents))
    }

    /// Whether this server honours `If-None-Match: *`, once probed.
    final class ExclusiveCreate: @unchecked Sendable {
        let lock = NSLock()
        var value: Bool?
    }
}
