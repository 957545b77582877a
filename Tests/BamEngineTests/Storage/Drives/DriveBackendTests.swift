import BamTestSupport
import Foundation
import HTTP
import Testing
@testable import BamEngine

/// `webdavs://` (rclone serve webdav) and `ftps://` (vsftpd) targets on
/// 127.0.0.1 over TLS with the test CA: the storage contract, logins.
@Suite(.serialized, .needs(.webdav, .ftps, .tls)) struct DriveBackendTests {
    @Test(arguments: DriveTarget.Kind.allCases) func passesConformance(_ kind: DriveTarget.Kind) throws {
        let target = try DriveTarget(kind)
        let backend = try target.backend("backups/hôte 1", caFile: target.ca.caFile)
        try backend.preflight()
        // Apache honours create-if-absent; rclone's WebDAV and FTP do not.
        try StorageConformance.run(backend, many: 40, createIsExclusive: target.createIsExclusive)
        #expect(target.servedFiles("backups/hôte 1").isEmpty, "no temporary upload left: \(target.servedFiles("backups/hôte 1"))")
    }

    @Test func wrongWebDAVPasswordIsRefusedWithoutShowingIt() throws {
        let target = try DriveTarget(.webdav)
        var options = StorageOpenOptions(
            registryPath: "/nonexistent-bam-registry", environment: ["BAM_WEBDAV_USER": "bam-dav", "BAM_WEBDAV_PASSWORD": "wrong-password-xyz"])
        options.caFile = target.ca.caFile
        let backend = try StorageRegistry.open(address: target.address("x"), options: options)
        #expect {
            try backend.preflight()
        } throws: { error in
            guard case .denied = error as? StorageError else { return false }
            return "\(error)".contains("refused user bam-dav") && !"\(error)".contains("wrong-password-xyz")
        }
    }

    @Test func aUserWithoutPasswordIsAClearError() throws {
        let options = StorageOpenOptions(registryPath: "/nonexistent-bam-registry", environment: [:])
        #expect {
            try StorageRegistry.open(address: "webdavs://someone@127.0.0.1:9/x", options: options)
        } throws: { "\($0)".contains("BAM_WEBDAV_PASSWORD") }
    }
}

@Suite(.serialized, .needs(.webdav, .ftps, .tls)) struct DriveLeftoverUploadTests {
    /// A killed run leaves its upload under a temporary dot name: the
    /// next writer removes it, and only it.
    @Test(arguments: DriveTarget.Kind.allCases) func leftoverUploadsAreRemoved(_ kind: DriveTarget.Kind) throws {
        let target = try DriveTarget(kind)
        let backend = try target.backend("leftovers", caFile: target.ca.caFile)
        try backend.preflight()
        // Written through the server (rclone caches its directory listings).
        for name in [".bam-upload-1-2", ".other-dot-file", "kept"] { try backend.write(name: name, contents: Array("partial".utf8)) }
        #expect(try backend.abortUnfinishedUploads() == 1)
        #expect(Set(target.servedFiles("leftovers")) == [".other-dot-file", "kept"])
        #expect(try backend.list().map(\.name) == ["kept"])
    }
}
