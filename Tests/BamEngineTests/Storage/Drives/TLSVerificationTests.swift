import BamTestSupport
import Foundation
import Testing
@testable import BamEngine

/// Certificates are checked for real on every TLS target and on the Hub:
/// servers on 127.0.0.1 with certificates of a test CA succeed with
/// `--ca-file`, and a certificate that expired, names another host, or
/// comes from an unknown CA is refused at once (no retries), with the
/// host and libcurl's reason, and nothing is stored.
@Suite(.serialized, .needs(.webdav, .ftps, .s3, .tls)) struct TLSVerificationTests {
    static let refusals: [(TestCA.Certificate, String)] = [
        (.expired, "certificate has expired"),
        (.wrongName, "no alternative certificate subject name matches"),
        (.unknownCA, "unable to get local issuer certificate"),
    ]

    private func expectRefused(
        _ error: any Error, because reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let text = "\(error)"
        #expect(text.contains("certificate verification failed for 127.0.0.1"), "\(text)", sourceLocation: sourceLocation)
        #expect(text.contains(reason), "\(text)", sourceLocation: sourceLocation)
        #expect((error as? StorageError)?.isTransient == false, "\(text)", sourceLocation: sourceLocation)
    }

    @Test(arguments: DriveTarget.Kind.allCases) func driveTargetsRefuseBadCertificates(_ kind: DriveTarget.Kind) throws {
        for (certificate, reason) in Self.refusals {
            let target = try DriveTarget(kind, certificate: certificate)
            let backend = try target.backend("refused", caFile: target.ca.caFile)
            let started = Date()
            #expect("\(kind) \(certificate)") { try backend.preflight() } throws: { error in
                expectRefused(error, because: reason)
                return true
            }
            #expect(Date().timeIntervalSince(started) < 10, "no retry loop")
            #expect(!FileManager.default.fileExists(atPath: target.servedPath("refused")), "nothing stored")
        }
        // A good certificate from a private CA is refused without --ca-file
        // (the system store does not know the test CA).
        let target = try DriveTarget(kind)
        #expect { try target.backend("system-store", caFile: nil).preflight() } throws: { error in
            expectRefused(error, because: "unable to get local issuer certificate")
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: target.servedPath("system-store")), "nothing stored")
        // An unreadable CA file is an error of its own, not a fallback.
        #expect { try target.backend("bad-ca", caFile: "/nonexistent/ca.pem").preflight() } throws: { "\($0)".contains("CA file") }
    }

    /// `s3://` (HTTPS) against `rclone serve s3 --cert --key`.
    @Test func s3OverTLSChecksTheCertificate() throws {
        let ca = try testCA()
        func launch(_ certificate: TestCA.Certificate) throws -> (RcloneLaunch, S3Backend) {
            let server = try RcloneLaunch(tls: (ca.certFile(certificate), ca.keyFile(certificate)))
            mkdir(server.root + "/bucket", 0o755)
            var options = S3Options(maxAttempts: 3)
            options.caFile = ca.caFile
            let backend = try S3Backend(
                address: "s3://\(server.hostPort)/bucket/tls prefix",
                credentials: S3Credentials(accessKey: server.accessKey, secretKey: server.secretKey), options: options)
            return (server, backend)
        }
        let (good, backend) = try launch(.good)
        defer { good.stop() }
        try backend.preflight()
        let file = NSTemporaryDirectory() + "bam-tls-\(getpid())"
        try Posix.writeFileAtomically(file, Array("over TLS".utf8), mode: 0o600)
        defer { unlink(file) }
        try backend.put(name: "object", fromFile: file)
        #expect(try backend.list().map(\.name) == ["object"])

        for (certificate, reason) in Self.refusals {
            let (server, refused) = try launch(certificate)
            defer { server.stop() }
            let started = Date()
            #expect("\(certificate)") { try refused.put(name: "object", fromFile: file) } throws: { error in
                expectRefused(error, because: reason)
                return true
            }
            #expect(Date().timeIntervalSince(started) < 10, "no retry loop")
            let stored = (FileManager.default.enumerator(atPath: server.root + "/bucket")?.allObjects as? [String]) ?? []
            #expect(stored.isEmpty, "nothing stored: \(stored)")
        }
    }

    /// The Hub client: an HTTPS Hub whose certificate does not check out
    /// is `untrusted` (never `unreachable`, which would let a command fall
    /// back to cached answers). Any TLS server stands in for the Hub here.
    @Test func hubClientChecksTheCertificate() throws {
        let ca = try testCA()
        for (certificate, reason) in Self.refusals {
            let server = try RcloneWebDAVLaunch(certificate: certificate, ca: ca)
            defer { server.stop() }
            let client = try HubClient(url: "https://\(server.hostPort)", subkey: "subkey", caFile: ca.caFile)
            #expect("\(certificate)") { try client.get("record/") } throws: { error in
                guard case let .untrusted(url, why) = error as? HubError else { return false }
                return url == "https://\(server.hostPort)" && why.contains("certificate verification failed for 127.0.0.1") && why.contains(reason)
            }
        }
        // With the right CA the TLS handshake passes: whatever the stand-in
        // answers, it is not a certificate error.
        let server = try RcloneWebDAVLaunch(certificate: .good, ca: ca)
        defer { server.stop() }
        let client = try HubClient(url: "https://\(server.hostPort)", subkey: "subkey", caFile: ca.caFile)
        do { _ = try client.get("record/") } catch let error as HubError {
            if case .untrusted = error { Issue.record("the good certificate was refused: \(error)") }
            if case .unreachable = error { Issue.record("\(error)") }
        }
    }

    /// `bam init --hub https://… --ca-file`: a Hub whose certificate
    /// expired is refused before anything is written to the registry.
    @Test func initRefusesAnUntrustedHub() throws {
        let ca = try testCA()
        let server = try RcloneWebDAVLaunch(certificate: .expired, ca: ca)
        defer { server.stop() }
        let tree = try TestTree("hub-tls")
        let box = BamS3SandboxLike(tree: tree, environment: [:])
        let r = try box.bam(["init", "test-api-key", "--hub", "https://\(server.hostPort)", "--ca-file", ca.caFile])
        #expect(r.status != 0)
        #expect(r.output.contains("not trusted") && r.output.contains("certificate verification failed for 127.0.0.1"), "\(r.output)")
        #expect(r.output.contains("certificate has expired"), "\(r.output)")
        #expect(!Registry(path: tree.area("registry")).isInitialised, "nothing written")
    }
}
