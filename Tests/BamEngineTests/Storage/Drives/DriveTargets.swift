import BamTestSupport
import Foundation
@testable import BamEngine

/// The test CA, made once per test process.
func testCA() throws -> TestCA { try TestCA.shared.get() }

/// A WebDAV or FTPS server of the tests, over TLS with a certificate of
/// the test CA (`certificate` picks a good or a broken one), and how bam
/// reaches a directory on it: its address and the environment holding the
/// login.
final class DriveTarget {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case webdav, apacheWebDAV = "webdav-apache", ftps
        var description: String { rawValue }
    }

    let kind: Kind
    let ca: TestCA
    private let webdav: RcloneWebDAVLaunch?
    private let apache: ApacheWebDAVLaunch?
    private let ftps: VsftpdLaunch?

    init(_ kind: Kind, certificate: TestCA.Certificate = .good) throws {
        self.kind = kind
        ca = try testCA()
        switch kind {
        case .webdav:
            webdav = try RcloneWebDAVLaunch(certificate: certificate, ca: ca)
            (apache, ftps) = (nil, nil)
        case .apacheWebDAV:
            apache = try ApacheWebDAVLaunch(certificate: certificate, ca: ca)
            (webdav, ftps) = (nil, nil)
        case .ftps:
            ftps = try VsftpdLaunch(certificate: certificate, ca: ca)
            (webdav, apache) = (nil, nil)
        }
    }

    deinit {
        webdav?.stop()
        apache?.stop()
        ftps?.stop()
    }

    /// `directory` relative to the served root (FTP: under the writable `pub`).
    func address(_ directory: String) -> String {
        let path = directory.split(separator: "/").map { ServerPathAddress.percentEncoded(String($0)) }.joined(separator: "/")
        switch kind {
        case .webdav: return "webdavs://\(webdav!.hostPort)/\(path)"
        case .apacheWebDAV: return "webdavs://\(apache!.hostPort)/\(path)"
        case .ftps: return "ftps://\(ftps!.hostPort)/pub/\(path)"
        }
    }

    /// Where the server keeps `directory`'s files on this machine.
    func servedPath(_ directory: String) -> String {
        switch kind {
        case .webdav: return webdav!.root + "/" + directory
        case .apacheWebDAV: return apache!.root + "/" + directory
        case .ftps: return ftps!.root + "/pub/" + directory
        }
    }

    /// The login, as bam reads it from its environment.
    var environment: [String: String] {
        switch kind {
        case .webdav: return ["BAM_WEBDAV_USER": webdav!.user, "BAM_WEBDAV_PASSWORD": webdav!.password]
        case .apacheWebDAV: return ["BAM_WEBDAV_USER": apache!.user, "BAM_WEBDAV_PASSWORD": apache!.password]
        case .ftps: return ["BAM_FTP_USER": "anonymous", "BAM_FTP_PASSWORD": "bam-test@example.invalid"]
        }
    }

    var password: String { webdav?.password ?? apache?.password ?? "bam-test@example.invalid" }

    /// Whether the server honours `If-None-Match: *` (Apache does).
    var createIsExclusive: Bool { kind == .apacheWebDAV }

    func logTail() -> String { webdav?.logTail() ?? apache?.logTail() ?? ftps?.logTail() ?? "" }

    /// A backend straight on `directory`, opened as a command opens it.
    func backend(_ directory: String, caFile: String?) throws -> StorageBackend {
        var options = StorageOpenOptions(registryPath: "/nonexistent-bam-registry", environment: environment)
        options.caFile = caFile
        return try StorageRegistry.open(address: address(directory), options: options)
    }

    /// The regular files under `directory` on the server's disk.
    func servedFiles(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: servedPath(directory))?.allObjects as? [String]) ?? []
    }
}
