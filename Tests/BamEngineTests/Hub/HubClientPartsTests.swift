import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The Hub client's parts that need no server: error bodies, record JSON,
/// the credentials and `hbr` files, form encoding, and a profile archive
/// unpacked into the registry. The calls themselves run against the real
/// `bam-hub` in BamCLITests' HubEndToEndTests.
@Suite struct HubClientPartsTests {
    @Test("error bodies 'Name: description' become typed errors")
    func errorParsing() {
        let e = HubError.fromResponse(status: 404, body: "BackupRecord.NotFound: no record 7\n")
        #expect(e == .api(status: 404, name: "BackupRecord.NotFound", detail: "no record 7"))
        #expect(e.name == HubError.recordNotFound)
        let html = HubError.fromResponse(status: 502, body: "<html>Bad gateway: upstream</html>")
        #expect(html.name == "HTTP.502")
        #expect("\(html)".contains("Bad gateway"))
        #expect("\(HubError.fromResponse(status: 401, body: "HubAccount.InvalidApiKey: unknown"))".contains("refused the API key"))
    }

    @Test("records parse from the Hub's JSON, ids as strings or numbers")
    func recordJSON() throws {
        let object: [String: Any] = [
            "backup_id": 12, "address": "s3://h/b/p", "key": "AAAA", "server_id": "",
            "turnkey_version": "debian-12", "date_created": "2026-11-28 01:00:00",
            "date_updated": "2026-11-28 02:00:00", "size": "2048", "description": "web",
            "inprogress": false, "skpp": true,
        ]
        let r = try HubRecord(json: object, call: "test")
        #expect(r.backupID == "12" && r.size == 2048 && r.skpp && !r.inProgress && r.description == "web")
        #expect(throws: HubError.self) { try HubRecord(json: ["address": "x"], call: "test") }
        #expect(throws: HubError.self) { try HubRecord(json: [1, 2], call: "test") }
    }

    @Test("form encoding escapes Base64's + / =")
    func formEncoding() {
        #expect(HubClient.formEncode([("key", "a+b/c=="), ("x y", "ü")]) == "key=a%2Bb%2Fc%3D%3D&x%20y=%C3%BC")
        #expect(HubClient.decodeBase64("-_8") == [0xfb, 0xff])
    }

    @Test("credentials file: 0600, read by the S3 backend, refreshed when expiring")
    func credentialsFile() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hubcred-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir + "/reg")
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        let c = try HubCredentials(
            json: [
                "type": "iamrole", "accesskey": "AK", "secretkey": "SK", "sessiontoken": "TOK",
                "expiration": soon,
            ], backupID: "3")
        #expect(!"\(c)".contains("SK") && !"\(c)".contains("TOK"))
        try c.save(in: registry)
        var st = stat()
        #expect(lstat(HubCredentials.path(registry), &st) == 0 && st.st_mode & 0o777 == 0o600)
        let s3 = try S3Credentials.load(environment: [:], registry: registry)
        #expect(s3 == S3Credentials(accessKey: "AK", secretKey: "SK", sessionToken: "TOK"))
        let back = try #require(try HubCredentials.load(from: registry))
        #expect(back == c)
        #expect(back.needsRefresh(), "expires within the margin")
        let later = HubCredentials(type: "iamrole", accessKey: "A", secretKey: "S", expiration: "2999-01-01 00:00:00")
        #expect(!later.needsRefresh())
        #expect(HubCredentials(type: "iamrole", accessKey: "A", secretKey: "S", expiration: "garbage").needsRefresh())
        #expect(!HubCredentials(type: "none").needsRefresh())
        #expect(throws: HubError.self) { try HubCredentials(json: ["type": "iamuser"], backupID: nil) }
    }

    @Test("hbr keeps address, id and update time; RegistryBackupAddress reads it")
    func registration() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hbr-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir)
        let r = HubBackupRegistration(address: "file:///x/y", backupID: "4", updated: "2026-11-28 01:02:03", size: 99, skpp: true)
        try r.save(in: registry)
        #expect(try HubBackupRegistration.load(registry) == r)
        #expect(try RegistryBackupAddress.load(registry) == "file:///x/y")
    }

    /// One parser per registry file: `hbr` as the original client writes
    /// it (`key=value`, a date with a space), as bam wrote it before
    /// (`key value`), and a malformed line named by file and line.
    @Test("hbr in the original's key=value form, bam's older key value form, and a bad line")
    func registrationForms() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hbr-forms-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir)
        let file = RegistryBackupAddress.path(registry)
        try Posix.writeFileAtomically(file, Array("address=s3://s3.amazonaws.com/b/p\nbackup_id=7\nupdated=2026-11-28 01:02:03".utf8), mode: 0o600)
        #expect(
            try HubBackupRegistration.load(registry)
                == HubBackupRegistration(address: "s3://s3.amazonaws.com/b/p", backupID: "7", updated: "2026-11-28 01:02:03"))
        try Posix.writeFileAtomically(file, Array("address file:///x/y\nbackup_id 4\nskpp True\n".utf8), mode: 0o600)
        #expect(try HubBackupRegistration.load(registry) == HubBackupRegistration(address: "file:///x/y", backupID: "4", skpp: true))
        try RegistryBackupAddress.save("file:///z", in: registry)
        #expect(String(decoding: try Posix.readFile(file), as: UTF8.self) == "address=file:///z\n", "written as the original writes it")
        try Posix.writeFileAtomically(file, Array("address=file:///x\njunk\n".utf8), mode: 0o600)
        #expect {
            _ = try RegistryBackupAddress.load(registry)
        } throws: {
            "\($0)".contains("\(file) line 2")
        }
    }

    @Test("the credentials file has one parser: what bam's S3 backend reads, the Hub client reads")
    func credentialsOneParser() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-creds-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let registry = Registry(path: dir)
        // The original client's file: no expiration line for an IAM user.
        try Posix.writeFileAtomically(
            HubCredentials.path(registry), Array("type=iamuser\naccesskey=AKID\nsecretkey=S/K+=\n".utf8), mode: 0o600)
        #expect(try HubCredentials.load(from: registry) == HubCredentials(type: "iamuser", accessKey: "AKID", secretKey: "S/K+="))
        #expect(try S3Credentials.load(environment: [:], registry: registry) == S3Credentials(accessKey: "AKID", secretKey: "S/K+="))
        try Posix.writeFileAtomically(HubCredentials.path(registry), Array("type=iamuser\nsecretkey hunter2\n".utf8), mode: 0o600)
        for attempt in [{ _ = try HubCredentials.load(from: registry) }, { _ = try S3Credentials.load(environment: [:], registry: registry) }] {
            #expect {
                try attempt()
            } throws: {
                "\($0)".contains("line 2") && !"\($0)".contains("hunter2")
            }
        }
    }

    @Test("a profile archive unpacks into the registry's profile, replacing an older one")
    func profileArchive() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-hubprofile-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let source = dir + "/src"
        try Posix.makeDirectories(source, mode: 0o755)
        try Posix.writeFileAtomically(source + "/dirindex.conf", Array("/etc\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(source + "/dirindex", [], mode: 0o644)
        try Posix.writeFileAtomically(source + "/packages", Array("bash\n".utf8), mode: 0o644)
        try ProcessRunner.check(["/bin/tar", "-czf", dir + "/p.tar.gz", "-C", source, "./dirindex.conf", "./dirindex", "./packages"])
        let archive = try Posix.readFile(dir + "/p.tar.gz")
        let target = dir + "/registry/profile"
        #expect(HubProfileArchive.isNewer(5, profileID: "debian-12", than: target))
        try HubProfileArchive.install(archive, profileID: "debian-12", stamp: 5, into: target)
        #expect(try Profile.load(target).packages == ["bash"])
        var st = stat()
        #expect(lstat(target + "/dirindex.conf", &st) == 0 && st.st_mode & 0o777 == 0o600, "registry files are 0600")
        #expect(lstat(target, &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(HubProfileArchive.stored(in: target) == .init(profileID: "debian-12", stamp: 5))
        #expect(!HubProfileArchive.isNewer(5, profileID: "debian-12", than: target))
        #expect(HubProfileArchive.isNewer(5, profileID: "debian-11", than: target))
        #expect(HubProfileArchive.isNewer(6, profileID: "debian-12", than: target))
        try HubProfileArchive.install(archive, profileID: "debian-12", stamp: 6, into: target)
        #expect(HubProfileArchive.stored(in: target)?.stamp == 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/registry") == ["profile"], "no work directories left")

        // A link in the archive is refused and the good profile stays.
        symlink("/etc/passwd", source + "/packages2")
        try ProcessRunner.check(["/bin/tar", "-czf", dir + "/bad.tar.gz", "-C", source, "."])
        #expect(throws: BamError.self) {
            try HubProfileArchive.install(try Posix.readFile(dir + "/bad.tar.gz"), profileID: "debian-12", stamp: 7, into: target)
        }
        #expect(HubProfileArchive.stored(in: target)?.stamp == 6)
    }
}
