import BamTestSupport
import Foundation
import Testing
@testable import BamEngine

/// S3Backend through a proxy that drops connections, answers 500 and 503,
/// loses answers, truncates bodies and stalls: every operation still
/// completes, and what comes back is what went in.
@Suite(.needs(.s3)) struct S3FaultInjectionTests {
    @Test func operationsSurviveInjectedFaults() throws {
        let moto = try MotoServer.get()
        let direct = try moto.backend(hint: "faults", prefix: "chain")
        let proxy = try FaultProxy(
            upstreamPort: moto.port,
            plan: ["ok", "drop", "500", "ok", "503", "lost", "truncate", "ok", "stall", "ok", "ok"],
            stallSeconds: 4)
        defer { proxy.stop() }
        let backend = try moto.backend(
            hint: "", bucket: direct.location.bucket, prefix: "chain",
            options: S3Options(
                partSize: 5 << 20, multipartThreshold: 5 << 20, partConcurrency: 2,
                maxAttempts: 6, stallTimeoutSeconds: 1),
            port: proxy.port)
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-faults-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }

        try backend.preflight()
        var originals: [String: [UInt8]] = [:]
        for i in 0..<5 {
            let name = "duplicity-inc.2024010\(i)T000000Z.to.2024010\(i + 1)T000000Z.vol1.difftar.gpg"
            originals[name] = S3BackendTests.pseudoRandom(count: 40_000 + i * 1000, seed: UInt64(i + 10))
        }
        originals["big volume.difftar.gpg"] = S3BackendTests.pseudoRandom(count: 11 << 20, seed: 99)
        for (name, data) in originals {
            let path = scratch + "/src"
            try Posix.writeFileAtomically(path, data, mode: 0o600)
            try backend.put(name: name, fromFile: path)
        }
        let listed = try backend.list()
        #expect(Set(listed.map(\.name)) == Set(originals.keys))
        for (name, data) in originals {
            try backend.get(name: name, toFile: scratch + "/back")
            #expect(try Posix.readFile(scratch + "/back") == data, "\(name)")
            try backend.get(name: name, range: 1000..<5000, toFile: scratch + "/range")
            #expect(try Posix.readFile(scratch + "/range") == Array(data[1000..<5000]), "\(name)")
            // A range written in place: a retried one writes its place again.
            try Posix.writeFileAtomically(scratch + "/region", [UInt8](repeating: 0, count: data.count), mode: 0o600)
            try backend.get(name: name, range: 1000..<5000, intoFileAt: scratch + "/region")
            var expected = [UInt8](repeating: 0, count: data.count)
            expected[1000..<5000] = data[1000..<5000]
            #expect(try Posix.readFile(scratch + "/region") == expected, "\(name)")
            #expect(try backend.head(name: name)?.size == Int64(data.count))
        }
        // A lost answer to "start a multipart upload" leaves an orphan,
        // which resume cleanup removes.
        try backend.abortUnfinishedUploads()
        #expect(try direct.unfinishedUploads().isEmpty)
        for name in originals.keys.sorted().prefix(2) { try backend.delete(name: name) }
        #expect(try direct.list().count == originals.count - 2)

        let actions = proxy.journal.map { $0.split(separator: " ")[1] }
        for fault in ["drop", "500", "503", "lost", "truncate", "stall"] {
            #expect(actions.contains(Substring(fault)), "the plan injected \(fault)")
        }
    }

    @Test func lostAnswerToCompletingAnUploadIsRecognised() throws {
        let moto = try MotoServer.get()
        let direct = try moto.backend(hint: "lost-complete", prefix: "p")
        // One at a time: start, three parts, complete (answer lost), then
        // its retry finds the upload gone and the object in place.
        let proxy = try FaultProxy(upstreamPort: moto.port, plan: ["ok", "ok", "ok", "ok", "lost", "ok", "ok", "ok", "ok", "ok"])
        defer { proxy.stop() }
        let backend = try moto.backend(
            hint: "", bucket: direct.location.bucket, prefix: "p",
            options: S3Options(partSize: 5 << 20, multipartThreshold: 5 << 20, partConcurrency: 1),
            port: proxy.port)
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-s3-lost-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let data = S3BackendTests.pseudoRandom(count: 11 << 20, seed: 5)
        try Posix.writeFileAtomically(scratch + "/big", data, mode: 0o600)
        try backend.put(name: "vol1", fromFile: scratch + "/big")
        #expect(proxy.journal.contains { $0.hasPrefix("5 lost POST ") && $0.contains("uploadId=") }, "\(proxy.journal)")
        try direct.get(name: "vol1", toFile: scratch + "/back")
        #expect(try Posix.readFile(scratch + "/back") == data)
        #expect(try direct.unfinishedUploads().isEmpty)
    }

    @Test func persistentFailureGivesUpWithATransientError() throws {
        let moto = try MotoServer.get()
        let proxy = try FaultProxy(upstreamPort: moto.port, plan: ["503"])
        defer { proxy.stop() }
        let backend = try moto.backend(hint: "", bucket: "bam-any-bucket", options: S3Options(maxAttempts: 3), port: proxy.port)
        #expect {
            _ = try backend.list()
        } throws: { error in
            guard let e = error as? StorageError, e.isTransient else { return false }
            return "\(e)".contains("SlowDown")
        }
        #expect(proxy.journal.count == 3, "three attempts: \(proxy.journal)")
    }
}
