import BamEngine

/// Listings file servers send back: a WebDAV `PROPFIND` multistatus and
/// an FTP `LIST` reply.
enum StorageTargets {
    static func propfind(_ input: [UInt8]) {
        _ = try? WebDAVListing.parse(input, collection: ["dav", "bâm"])
    }

    static func ftpList(_ input: [UInt8]) {
        _ = try? FTPListing.parse(input)
    }
}
