import Foundation
import Testing

@testable import BamEngine

#if canImport(Glibc)
import Glibc
#endif

/// `bam init --ca-file` links a server to a Hub whose certificate a
/// private CA signed; every later command (`status`, `list`, `passphrase`,
/// `prune`, not only backup and restore) must check the Hub against the
/// same CA, so the link records it.
@Suite("Hub link remembers its CA file")
struct HubLinkCAFileTests {
    @Test("a link made with a CA file gives clients that use it; one made without forgets it")
    func linkRecordsCAFile() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hubca-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir + "/reg")
        try registry.saveHubLink(url: "https://hub.example/api/", subkey: "SUBKEY", caFile: "/etc/bam/private ca.pem")
        var st = stat()
        #expect(lstat(registry.hubCAFilePath, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try registry.hubClient(defaultURL: "https://other.example/").caFile == "/etc/bam/private ca.pem")
        // One given for this command wins over the recorded one.
        #expect(try registry.hubClient(defaultURL: "https://other.example/", caFile: "/tmp/now.pem").caFile == "/tmp/now.pem")

        try registry.saveHubLink(url: "https://hub.example/api/", subkey: "SUBKEY")
        #expect(try registry.hubClient(defaultURL: "https://other.example/").caFile == nil)
        #expect(!Posix.fileExists(registry.hubCAFilePath))
    }

    @Test("a relative CA file is recorded as an absolute path")
    func relativeCAFile() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hubca-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir + "/reg")
        try registry.saveHubLink(url: "https://hub.example/api/", subkey: "SUBKEY", caFile: "certs/ca.pem")
        let recorded = try registry.hubClient(defaultURL: "https://other.example/").caFile
        #expect(recorded == FileManager.default.currentDirectoryPath + "/certs/ca.pem")
    }
}
