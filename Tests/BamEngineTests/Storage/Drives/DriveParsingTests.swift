import Foundation
import Testing
@testable import BamEngine

/// Addresses of file server targets, and the listings their servers send
/// (hostile input: clear errors, no traps).
@Suite struct DriveParsingTests {
    @Test func addressesParse() throws {
        let a = try ServerPathAddress(parsing: "webdavs://me%40home@dav.example:8443/remote.php/dav/files/me/b%C3%A2m", schemes: ["webdav", "webdavs"])
        #expect(a.scheme == "webdavs" && a.user == "me@home" && a.host == "dav.example" && a.port == 8443)
        #expect(a.segments == ["remote.php", "dav", "files", "me", "bâm"])
        #expect(a.encodedDirectory == "/remote.php/dav/files/me/b%C3%A2m/")
        let f = try ServerPathAddress(parsing: "ftps://[::1]:2121/", schemes: ["ftps"])
        #expect(f.host == "[::1]" && f.port == 2121 && f.segments.isEmpty && f.encodedDirectory == "/" && f.user == nil)
        for bad in [
            "webdav://user:secret@host/x", "webdav://host:0/x", "webdav://host:99999/x", "webdav:///x", "webdav://ho st/x",
            "webdav://host/a/../b", "webdav://host/a/%2F/b", "webdav://host/a%zz", "webdav://host/a?q", "webdav://[::1/x",
            "webdav://host/%00",
        ] {
            #expect(throws: StorageError.self, "\(bad)") { try ServerPathAddress(parsing: bad, schemes: ["webdav"]) }
        }
        // The password is never echoed back in the error.
        #expect { try ServerPathAddress(parsing: "webdav://u:hunter2@h/x", schemes: ["webdav"]) } throws: { !"\($0)".contains("hunter2") }
    }

    @Test func propfindRepliesParse() throws {
        let reply = """
            <?xml version="1.0"?><d:multistatus xmlns:d="DAV:">
            <d:response><d:href>/dav/b%C3%A2m/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
            <d:response><d:href>https://h/dav/b%C3%A2m/vol%201.gpg</d:href><d:propstat><d:prop><d:resourcetype/><d:getcontentlength>1234</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
            <d:response><d:href>/dav/bâm/sub/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
            <d:response><d:href>/dav/bâm/.bam-upload-1</d:href><d:propstat><d:prop><d:getcontentlength>5</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
            <d:response><d:href>/elsewhere/x</d:href><d:propstat><d:prop><d:getcontentlength>5</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
            <d:response><d:href>/dav/b%C3%A2m/empty</d:href><d:propstat><d:prop><d:getcontentlength>0</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
            <d:propstat><d:prop><d:resourcetype/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>
            </d:multistatus>
            """
        let objects = try WebDAVListing.parse(Array(reply.utf8), collection: ["dav", "bâm"])
        #expect(objects == [StoredObject(name: "vol 1.gpg", size: 1234), StoredObject(name: "empty", size: 0)])

        func fails(_ text: String, _ message: String) {
            #expect("\(text.prefix(60))") {
                try WebDAVListing.parse(Array(text.utf8), collection: ["d"])
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        fails("", "not XML")
        fails("<html>nope</html>", "not a <multistatus>")
        fails("<multistatus xmlns='DAV:'><response><href>/d/x</href></response></multistatus>", "no size for x")
        fails(
            "<multistatus xmlns='DAV:'><response><href>/d/x</href><propstat><prop><getcontentlength>-1</getcontentlength></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            "invalid size")
        fails(
            "<multistatus xmlns='DAV:'><response><href>/d/x</href><propstat><prop><getcontentlength>99999999999999999999999</getcontentlength></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            "invalid size")
        fails("<multistatus xmlns='DAV:'><response><href>/d/%ff</href></response></multistatus>", "undecodable href")
        fails("<multistatus xmlns='DAV:'><response></response></multistatus>", "without an href")
        // Deep nesting and junk never trap.
        let deep = String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)
        #expect(throws: (any Error).self) { try WebDAVListing.parse(Array(deep.utf8), collection: []) }
    }

    @Test func ftpListingsParse() throws {
        let reply = """
            total 12\r
            drwx------    2 1        1            4096 Dec 04 10:43 subdir\r
            -rw-------    1 1        1             595 Dec 04 10:43 g h\r
            -rw-r--r--    1 ftp      ftp    9876543210 Jan  1  2024 duplicity-full.vol1.difftar.gpg
            lrwxrwxrwx    1 0        0               4 Dec 04 10:43 link -> g h
            -rw-------    1 1        1               5 Dec 04 10:43 .bam-upload-1
            -rw-------    1 1        1               0 Dec 04 10:43 ünï  two  spaces

            """
        let objects = try FTPListing.parse(Array(reply.utf8))
        #expect(
            objects == [
                StoredObject(name: "g h", size: 595), StoredObject(name: "duplicity-full.vol1.difftar.gpg", size: 9_876_543_210),
                StoredObject(name: "ünï  two  spaces", size: 0),
            ])
        for bad in [
            "-rw------- 1 1 1 notanumber Dec 04 10:43 x", "-rw------- 1 1 1 99999999999999999999 Dec 04 10:43 x", "-rw------- short",
            "-rw------- 1 1 1 5 Dec 04 10:43",
        ] {
            #expect(throws: FTPListing.ParseError.self, "\(bad)") { try FTPListing.parse(Array(bad.utf8)) }
        }
        #expect(throws: FTPListing.ParseError.self) { try FTPListing.parse([UInt8(ascii: "-"), 0xff, 0x20, 0x31]) }
        #expect(try FTPListing.parse([]).isEmpty)
    }
}
