import Foundation
import Testing
@testable import BamEngine

/// The checks every `StorageBackend` must pass (restic's backend test
/// suite, in spirit). `backend` must start empty; `many` objects are
/// stored to exercise listing pagination.
enum StorageConformance {
    static let awkwardNames = [
        "duplicity-full.20240101T000000Z.vol1 with spaces.difftar.gpg",
        "ünïcødé-ключ-日本語.manifest",
        "plus+and%percent&amp=equals;semi,comma'quote(1)!*.sig",
        "tilde~dash-under_score.dot.",
    ]

    /// `createIsExclusive`: whether the target honours create-if-absent
    /// atomically (S3 servers that ignore `If-None-Match: *` do not; create
    /// must still never replace an object that exists).
    static func run(
        _ backend: StorageBackend, many: Int, createIsExclusive: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scratch = try Posix.makeTemporaryDirectory(prefix: "bam-conformance-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        func local(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = scratch + "/" + name
            try Posix.writeFileAtomically(path, bytes, mode: 0o600)
            return path
        }
        func fetch(_ name: String, _ range: Range<Int64>? = nil) throws -> [UInt8] {
            let path = scratch + "/fetched"
            unlink(path)
            try backend.get(name: name, range: range, toFile: path)
            return try Posix.readFile(path)
        }

        #expect(try backend.list().isEmpty, "a fresh target lists nothing", sourceLocation: sourceLocation)

        // Put, head, get, ranges.
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try backend.put(name: "object-1", fromFile: try local("src-1", data))
        #expect(try backend.head(name: "object-1") == StoredObject(name: "object-1", size: 1000), sourceLocation: sourceLocation)
        #expect(try fetch("object-1") == data, sourceLocation: sourceLocation)
        #expect(try fetch("object-1", 3..<10) == Array(data[3..<10]), sourceLocation: sourceLocation)
        #expect(try fetch("object-1", 990..<2000) == Array(data[990...]), "a range past the end reads the tail", sourceLocation: sourceLocation)
        #expect(try fetch("object-1", 5000..<6000) == [], "a range beyond the end reads nothing", sourceLocation: sourceLocation)
        #expect(try fetch("object-1", 7..<7) == [], sourceLocation: sourceLocation)

        // Overwriting replaces; empty objects exist.
        let replacement = Array("replaced".utf8)
        try backend.put(name: "object-1", fromFile: try local("src-2", replacement))
        #expect(try fetch("object-1") == replacement, sourceLocation: sourceLocation)
        try backend.put(name: "empty", fromFile: try local("src-3", []))
        #expect(try backend.head(name: "empty")?.size == 0, sourceLocation: sourceLocation)
        #expect(try fetch("empty") == [], sourceLocation: sourceLocation)
        #expect(Posix.fileExists(scratch + "/fetched"), "an empty object still gives a file", sourceLocation: sourceLocation)

        // Names with spaces, unicode and URL metacharacters.
        for (i, name) in awkwardNames.enumerated() {
            let bytes = Array("content of \(name) #\(i)".utf8)
            try backend.put(name: name, fromFile: try local("src-awkward", bytes))
            #expect(try backend.head(name: name)?.size == Int64(bytes.count), "\(name)", sourceLocation: sourceLocation)
            #expect(try fetch(name) == bytes, "\(name)", sourceLocation: sourceLocation)
        }

        // Not found: get throws notFound and leaves no file; head is nil;
        // deleting a missing object is fine.
        let missing = scratch + "/missing-out"
        #expect(sourceLocation: sourceLocation) {
            try backend.get(name: "no-such-object", range: nil, toFile: missing)
        } throws: { error in
            (error as? StorageError) == .notFound(address: backend.address, name: "no-such-object")
        }
        #expect(!Posix.fileExists(missing), "a failed get leaves no file", sourceLocation: sourceLocation)
        #expect(throws: StorageError.self, sourceLocation: sourceLocation) {
            try backend.get(name: "no-such-object", range: 0..<10, toFile: missing)
        }
        #expect(try backend.head(name: "no-such-object") == nil, sourceLocation: sourceLocation)
        try backend.delete(name: "no-such-object")

        // Invalid names are refused.
        for bad in ["", "a/b", ".", ".."] {
            #expect(throws: StorageError.self, "\(bad)", sourceLocation: sourceLocation) { try backend.head(name: bad) }
        }

        // Small objects (the target's lock): create only if absent,
        // exclusively; read back whole, bounded; replace; nothing left over.
        let first = Array("first creator\n".utf8)
        #expect(
            try backend.createIsExclusive() == createIsExclusive, "file systems and S3 with If-None-Match create exclusively",
            sourceLocation: sourceLocation)
        #expect(try backend.read(name: "small", limit: 100) == nil, sourceLocation: sourceLocation)
        #expect(try backend.create(name: "small", contents: first), sourceLocation: sourceLocation)
        #expect(try !backend.create(name: "small", contents: Array("second creator\n".utf8)), sourceLocation: sourceLocation)
        #expect(try backend.read(name: "small", limit: 100) == first, "the second create changed nothing", sourceLocation: sourceLocation)
        #expect(throws: StorageError.self, "an object over the limit is refused", sourceLocation: sourceLocation) {
            try backend.read(name: "small", limit: 5)
        }
        try backend.write(name: "small", contents: Array("rewritten\n".utf8))
        #expect(try backend.read(name: "small", limit: 100) == Array("rewritten\n".utf8), sourceLocation: sourceLocation)
        #expect(try backend.read(name: "empty", limit: 100) == [], sourceLocation: sourceLocation)
        #expect(
            try backend.list().filter { $0.name != "object-1" && $0.name != "empty" && !awkwardNames.contains($0.name) }.map(\.name) == ["small"],
            "no temporary or probe object is listed", sourceLocation: sourceLocation)
        try backend.delete(name: "small")
        #expect(try backend.read(name: "small", limit: 100) == nil, sourceLocation: sourceLocation)

        // Many objects: listing follows continuation.
        let small = try local("src-small", Array("x".utf8))
        for i in 0..<many { try backend.put(name: String(format: "many-%05d", i), fromFile: small) }
        let listed = try backend.list()
        let expected = Set(["object-1", "empty"] + awkwardNames + (0..<many).map { String(format: "many-%05d", $0) })
        #expect(Set(listed.map(\.name)) == expected, sourceLocation: sourceLocation)
        #expect(listed.count == expected.count, "no duplicates across pages", sourceLocation: sourceLocation)
        #expect(listed.first { $0.name == "object-1" }?.size == Int64(replacement.count), sourceLocation: sourceLocation)
        #expect(listed.filter { $0.name.hasPrefix("many-") }.allSatisfy { $0.size == 1 }, sourceLocation: sourceLocation)

        // Delete everything.
        for object in listed { try backend.delete(name: object.name) }
        #expect(try backend.list().isEmpty, sourceLocation: sourceLocation)
        #expect(try backend.head(name: "object-1") == nil, sourceLocation: sourceLocation)
    }
}

@Suite struct StorageFileConformanceTests {
    @Test func fileBackendPassesConformance() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-file-backend-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let backend = try FileBackend(address: "file://" + dir + "/target")
        try backend.preflight()
        try StorageConformance.run(backend, many: 1001)
    }
}
