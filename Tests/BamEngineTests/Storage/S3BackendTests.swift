import BamTestSupport
import Foundation
import HTTP
import Testing
@testable import BamEngine

/// S3Backend against real S3 servers with signature checking on: moto (see
/// `MotoServer`) and, for the tests taking a kind, `rclone serve s3` too.
/// These tests fail, never skip, when a server is missing.
@Suite(.needs(.s3)) struct S3BackendTests {
    @Test(arguments: S3ServerKind.allCases) func passesConformanceWithPagedListing(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "conformance", options: S3Options(listPageSize: 10))
        try backend.preflight()
        try StorageConformance.run(backend, many: 35, createIsExclusive: kind == .moto)
    }

    @Test func listingFollowsContinuationPastAThousandObjects() throws {
        let moto = try MotoServer.get()
        let backend = try moto.backend(hint: "thousand", prefix: "p")
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-many-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let file = scratch + "/one"
        try Posix.writeFileAtomically(file, [1, 2, 3], mode: 0o600)
        let names = (0..<1005).map { String(format: "vol-%04d", $0) }
        // Four writers: about 1000 signed PUTs take a few seconds on moto.
        let group = DispatchGroup()
        let failures = Failures()
        for w in 0..<4 {
            group.enter()
            Thread {
                for name in names.enumerated().filter({ $0.offset % 4 == w }).map(\.element) {
                    do { try backend.put(name: name, fromFile: file) } catch { failures.add(error) }
                }
                group.leave()
            }.start()
        }
        group.wait()
        let errors = failures.all
        #expect(errors.count == 0, "\(errors.prefix(3))")
        let listed = try backend.list()
        #expect(listed.count == 1005)
        #expect(Set(listed.map(\.name)) == Set(names))
    }

    @Test(arguments: S3ServerKind.allCases) func wrongSecretKeyIsAClearAuthenticationError(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let bucket = try server.makeBucket("wrong-secret")
        let wrongSecret = "wrong-" + server.credentials.secretKey.prefix(6) + "-secret"
        let backend = try server.backend(
            hint: "", bucket: bucket,
            credentials: S3Credentials(accessKey: server.credentials.accessKey, secretKey: wrongSecret))
        for (what, call) in [
            ("preflight", { try backend.preflight() }), ("list", { _ = try backend.list() }),
            ("head", { _ = try backend.head(name: "x") }),
        ] as [(String, () throws -> Void)] {
            do {
                try call()
                Issue.record("\(what) succeeded with a wrong secret key")
            } catch let error as StorageError {
                guard case let .denied(address, reason) = error else {
                    Issue.record("\(what): expected .denied, got \(error)")
                    continue
                }
                #expect(address == backend.address)
                if what != "head" {  // HEAD answers carry no error document
                    #expect(reason.contains("SignatureDoesNotMatch"), "\(what): \(reason)")
                    #expect(reason.contains("secret key is wrong"), "\(what): \(reason)")
                }
                #expect(!"\(error)".contains(wrongSecret), "\(what): the message shows the secret")
                #expect(!"\(error)".contains(server.credentials.secretKey), "\(what): the message shows the secret")
            }
        }
    }

    @Test(arguments: S3ServerKind.allCases) func unknownAccessKeyIsDenied(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(
            hint: "unknown-key",
            credentials: S3Credentials(accessKey: "AKIAUNKNOWNEXAMPLE00", secretKey: "whatever"))
        #expect {
            try backend.preflight()
        } throws: { error in
            guard case .denied = error as? StorageError else { return false }
            return true
        }
    }

    @Test(arguments: S3ServerKind.allCases) func preflightReportsAMissingBucket(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "", bucket: "bam-no-such-bucket-\(UInt32.random(in: 0...UInt32.max))")
        #expect {
            try backend.preflight()
        } throws: { error in
            guard case let .notFound(address, name) = error as? StorageError else { return false }
            return address == backend.address && name == "bucket \(backend.location.bucket)"
                && "\(error)".contains("not found")
        }
    }

    @Test func preflightReportsAnUnreachableServerQuickly() throws {
        let moto = try MotoServer.get()
        let closedPort = try TestServerProcess.freePort()
        let backend = try moto.backend(hint: "", bucket: "whatever-bucket", port: closedPort)
        let start = Date()
        #expect {
            try backend.preflight()
        } throws: { error in
            guard case let .unreachable(_, reason) = error as? StorageError else { return false }
            return reason.contains("cannot connect to 127.0.0.1:\(closedPort)")
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test(arguments: S3ServerKind.allCases) func preflightLeavesNoProbeBehind(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "preflight", prefix: "")
        try backend.preflight()
        #expect(try backend.list().isEmpty)
        let raw = try server.request(method: "GET", path: "/" + backend.location.bucket, query: [("list-type", "2")])
        #expect(!raw.bodyText.contains("<Key>"), "no object at all: \(raw.bodyText)")
    }

    @Test(arguments: S3ServerKind.allCases) func multipartUploadOfTwelveMebibytes(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(
            hint: "multipart",
            options: S3Options(
                partSize: 5 << 20, multipartThreshold: 5 << 20,
                partConcurrency: 3))
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-multipart-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let data = Self.pseudoRandom(count: 12 << 20 | 12345, seed: 7)
        try Posix.writeFileAtomically(scratch + "/big", data, mode: 0o600)
        try backend.put(name: "duplicity-full.20240101T000000Z.vol1.difftar.gpg", fromFile: scratch + "/big")

        #expect(try backend.head(name: "duplicity-full.20240101T000000Z.vol1.difftar.gpg")?.size == Int64(data.count))
        let raw = try server.request(
            method: "HEAD",
            path:
                "/\(backend.location.bucket)/\(SigV4Signer.uriEncode(backend.location.prefix, keepSlash: true))duplicity-full.20240101T000000Z.vol1.difftar.gpg"
        )
        if kind == .moto {  // rclone's ETag of a multipart object does not count its parts
            #expect(raw.header("ETag")?.hasSuffix("-3\"") == true, "three parts: \(raw.header("ETag") ?? "none")")
        }

        try backend.get(name: "duplicity-full.20240101T000000Z.vol1.difftar.gpg", toFile: scratch + "/back")
        #expect(try Posix.readFile(scratch + "/back") == data)
        let across: Range<Int64> = (5 << 20) - 100..<(10 << 20) + 100
        try backend.get(name: "duplicity-full.20240101T000000Z.vol1.difftar.gpg", range: across, toFile: scratch + "/range")
        #expect(try Posix.readFile(scratch + "/range") == Array(data[Int(across.lowerBound)..<Int(across.upperBound)]))
        #expect(try backend.unfinishedUploads().isEmpty)
        #expect(try backend.list() == [StoredObject(name: "duplicity-full.20240101T000000Z.vol1.difftar.gpg", size: Int64(data.count))])
    }

    /// A restore downloads a volume in ranges on several threads, each
    /// written straight into its place in one file.
    @Test(arguments: S3ServerKind.allCases) func rangesFillTheirPlacesInOneFile(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "regions")
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-regions-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let name = "duplicity-full.20240101T000000Z.vol1.difftar.gpg"
        let data = Self.pseudoRandom(count: 3 << 20 | 777, seed: 11)
        try Posix.writeFileAtomically(scratch + "/src", data, mode: 0o600)
        try backend.put(name: name, fromFile: scratch + "/src")

        let path = scratch + "/volume"
        try Posix.writeFileAtomically(path, [], mode: 0o600)
        let end = Int64(data.count)
        let ranges: [Range<Int64>] = [(2 << 20)..<end, 0..<(1 << 20), (1 << 20)..<(2 << 20)]
        DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
            #expect(throws: Never.self) { try backend.get(name: name, range: ranges[i], intoFileAt: path) }
        }
        #expect(try Posix.readFile(path) == data)

        // A missing object is reported as missing, and the file is left alone.
        #expect(throws: StorageError.self) { try backend.get(name: "missing.difftar.gpg", range: 0..<10, intoFileAt: path) }
        #expect(try Posix.readFile(path) == data)
    }

    @Test(arguments: S3ServerKind.allCases) func unfinishedUploadsUnderThePrefixAreListedAndAborted(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "uploads", prefix: "mine")
        let bucket = backend.location.bucket
        for key in ["mine/vol1.difftar.gpg", "mine/vol2.difftar.gpg", "other/vol1.difftar.gpg"] {
            let r = try server.request(method: "POST", path: "/\(bucket)/\(key)", query: [("uploads", "")])
            #expect(r.isSuccess, "\(r.bodyText)")
        }
        let found = try backend.unfinishedUploads()
        #expect(Set(found.map(\.key)) == ["mine/vol1.difftar.gpg", "mine/vol2.difftar.gpg"])
        #expect(try backend.abortUnfinishedUploads() == 2)
        #expect(try backend.unfinishedUploads().isEmpty)
        let other = try server.backend(hint: "", bucket: bucket, prefix: "other")
        #expect(try other.unfinishedUploads().count == 1, "uploads outside the prefix are left alone")
    }

    /// rclone answers the listing of a prefix without unfinished uploads
    /// with 404 NoSuchUpload: that is none, not a failure of the backup.
    @Test(arguments: S3ServerKind.allCases) func aPrefixWithoutUnfinishedUploadsListsNone(_ kind: S3ServerKind) throws {
        let backend = try kind.server().backend(hint: "no-uploads")
        #expect(try backend.unfinishedUploads().isEmpty)
        #expect(try backend.abortUnfinishedUploads() == 0)
    }

    @Test(arguments: S3ServerKind.allCases) func failedMultipartUploadIsAborted(_ kind: S3ServerKind) throws {
        let server = try kind.server()
        let backend = try server.backend(hint: "abort", prefix: "p")
        // Through a proxy: the upload starts, its first part is refused.
        let proxy = try FaultProxy(upstreamPort: server.port, plan: ["ok", "deny", "ok", "ok"])
        defer { proxy.stop() }
        let proxied = try server.backend(
            hint: "", bucket: backend.location.bucket, prefix: "p",
            options: S3Options(partSize: 5 << 20, multipartThreshold: 5 << 20, partConcurrency: 1),
            port: proxy.port)
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-abort-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        try Posix.writeFileAtomically(scratch + "/big", Self.pseudoRandom(count: 11 << 20, seed: 3), mode: 0o600)
        #expect {
            try proxied.put(name: "vol1", fromFile: scratch + "/big")
        } throws: { error in
            guard case let .denied(_, reason) = error as? StorageError else { return false }
            return reason.contains("part 1 of vol1") && reason.contains("AccessDenied")
        }
        #expect(try backend.unfinishedUploads().isEmpty, "the failed upload was aborted")
        #expect(try backend.list().isEmpty)
        #expect(proxy.journal.contains { $0.contains(" DELETE /\(backend.location.bucket)/p/vol1?uploadId=") }, "\(proxy.journal)")
    }

    static func pseudoRandom(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: count)
        for i in out.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            out[i] = UInt8(truncatingIfNeeded: state)
        }
        return out
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [Error] = []
        func add(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
        var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
    }
}
