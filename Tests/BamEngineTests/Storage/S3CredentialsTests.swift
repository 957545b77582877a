import Foundation
import Testing
@testable import BamEngine

@Suite struct S3CredentialsTests {
    @Test func fromEnvironment() throws {
        let c = try S3Credentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK",
        ])
        #expect(c == S3Credentials(accessKey: "AK", secretKey: "SK", sessionToken: "TOK"))
        #expect(try S3Credentials.fromEnvironment([:]) == nil)
        #expect(try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"])?.sessionToken == nil)
        #expect(throws: BamError.self) { try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK"]) }
        #expect(throws: BamError.self) { try S3Credentials.fromEnvironment(["AWS_SECRET_ACCESS_KEY": "SK"]) }
    }

    @Test func fromRegistryFile() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-creds-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir)
        #expect(throws: BamError.self) { try S3Credentials.load(environment: [:], registry: registry) }
        try Posix.writeFileAtomically(dir + "/credentials", Array("# bam\naccesskey = AK2\n\nsecretkey=S/K+2=\nsessiontoken=\n".utf8), mode: 0o600)
        let c = try S3Credentials.load(environment: [:], registry: registry)
        #expect(c == S3Credentials(accessKey: "AK2", secretKey: "S/K+2="))
        // The environment wins over the file.
        let e = try S3Credentials.load(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"], registry: registry)
        #expect(e.accessKey == "AK")
    }

    @Test func malformedFileNeverQuotesTheSecret() throws {
        do {
            _ = try S3Credentials.parse("accesskey=AK\nsecretkey hunter2hunter2\n", source: "creds")
            Issue.record("accepted a malformed file")
        } catch {
            #expect("\(error)".contains("creds line 2"))
            #expect(!"\(error)".contains("hunter2"))
        }
        #expect(throws: BamError.self) { try S3Credentials.parse("accesskey=AK\n", source: "creds") }
    }

    @Test func descriptionsHideTheSecret() {
        let c = S3Credentials(accessKey: "AKID", secretKey: "very-secret", sessionToken: "token-secret")
        for text in [
            "\(c)", String(describing: c), String(reflecting: c),
            {
                var s = ""; dump(c, to: &s); return s
            }(),
        ] {
            #expect(!text.contains("very-secret"))
            #expect(!text.contains("token-secret"))
        }
    }

    @Test func backendWithoutCredentialsIsDenied() {
        let dir = "/nonexistent-bam-registry"
        #expect {
            _ = try S3Backend(address: "s3+http://127.0.0.1:9/bucket", environment: ["BAM_REGISTRY": dir])
        } throws: { error in
            guard case let StorageError.denied(_, reason) = error else { return false }
            return reason.contains("AWS_SECRET_ACCESS_KEY") && reason.contains(dir + "/credentials")
        }
    }
}
