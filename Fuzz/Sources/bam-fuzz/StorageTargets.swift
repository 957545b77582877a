import BamEngine

/// What storage servers and the Hub hand bam about targets: an SFTP
/// server's directory listing, a WebDAV `PROPFIND` multistatus, an FTP
/// `LIST` reply, and an address as a Hub's record gives it.
enum StorageTargets {
    /// An SFTP server's directory listing (`ls -l` lines).
    static func sftpListing(_ input: [UInt8]) {
        _ = try? SFTPListing.parse(input)
    }

    static func sftpAddress(_ input: [UInt8]) {
        _ = try? SFTPAddress(parsing: "sftp://" + text(input))
    }

    static func propfind(_ input: [UInt8]) {
        _ = try? WebDAVListing.parse(input, collection: ["dav", "bâm"])
    }

    static func ftpList(_ input: [UInt8]) {
        _ = try? FTPListing.parse(input)
    }
}
