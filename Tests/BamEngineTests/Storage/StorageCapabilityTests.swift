import Foundation
import Testing
@testable import BamEngine

/// Optional capabilities are the protocol's: a backend without them says
/// so, and drivers fall back without knowing the backend's type.
@Suite("storage capabilities")
struct StorageCapabilityTests {
    @Test("a file target fetches no ranges in place and has no unfinished uploads; asking for a range is a clear error")
    func fileTargetLacksTheCapabilities() throws {
        let tree = try TestTree("capabilities")
        let backend = try FileBackend(address: "file://" + tree.area("target"))
        try backend.preflight()
        #expect(!backend.fetchesRangesInPlace)
        #expect(try backend.abortUnfinishedUploads() == 0)
        #expect { try backend.get(name: "x", range: 0..<1, intoFileAt: tree.area("out")) } throws: { error in
            "\(error)".contains("cannot fetch ranges into place")
        }
    }

    @Test("an S3 target has both")
    func s3TargetHasThem() throws {
        let backend = try S3Backend(address: "s3+http://127.0.0.1:9/bucket/prefix", credentials: S3Credentials(accessKey: "AKIAEXAMPLE", secretKey: "x"))
        #expect(backend.fetchesRangesInPlace)
    }
}
