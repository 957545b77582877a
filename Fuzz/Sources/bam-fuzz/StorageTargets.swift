import BamEngine

/// What storage servers and the Hub hand bam about targets.
enum StorageTargets {
    /// An SFTP server's directory listing (`ls -l` lines).
    static func sftpListing(_ input: [UInt8]) {
        _ = try? SFTPListing.parse(input)
    }

    /// An address, as a Hub's record gives it.
    static func sftpAddress(_ input: [UInt8]) {
        _ = try? SFTPAddress(parsing: "sftp://" + text(input))
    }
}
