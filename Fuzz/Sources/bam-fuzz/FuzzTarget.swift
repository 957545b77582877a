/// One parser of untrusted input under test. `run` must return for every
/// input: a parser throwing its error is the expected outcome for bad
/// input; a Swift trap, a sanitizer report, a leak or a hang is a finding.
struct FuzzTarget {
    let name: String
    let run: ([UInt8]) -> Void

    /// Every target; the names are the corpus directories under Fuzz/Corpus.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "tar", run: ArchiveTargets.tar),
        FuzzTarget(name: "manifest", run: ArchiveTargets.manifest),
        FuzzTarget(name: "signature", run: ArchiveTargets.signature),
        FuzzTarget(name: "key-v1", run: KeyTargets.v1),
        FuzzTarget(name: "key-v2", run: KeyTargets.v2),
        FuzzTarget(name: "dirindex", run: ProfileTargets.dirIndex),
        FuzzTarget(name: "dirindex-conf", run: ProfileTargets.dirIndexConf),
        FuzzTarget(name: "conf", run: ConfigTargets.conf),
        FuzzTarget(name: "overrides", run: ConfigTargets.overrides),
        FuzzTarget(name: "fsdelta", run: ExtrasTargets.fsdelta),
        FuzzTarget(name: "accounts", run: ExtrasTargets.accounts),
        FuzzTarget(name: "newpkgs", run: ExtrasTargets.newpkgs),
        FuzzTarget(name: "backup-conf", run: ExtrasTargets.backupConf),
        FuzzTarget(name: "rollback-index", run: ExtrasTargets.rollbackIndex),
        FuzzTarget(name: "cgi-multipart", run: FormTargets.multipart),
        FuzzTarget(name: "cgi-form", run: FormTargets.cgiForm),
        FuzzTarget(name: "hub-form", run: FormTargets.hubForm),
        FuzzTarget(name: "sftp-listing", run: StorageTargets.sftpListing),
        FuzzTarget(name: "sftp-address", run: StorageTargets.sftpAddress),
        FuzzTarget(name: "propfind", run: StorageTargets.propfind),
        FuzzTarget(name: "ftp-list", run: StorageTargets.ftpList),
    ]
}

/// Splits at newlines the way the extras readers do (empty lines dropped).
func lines(_ input: [UInt8]) -> [[UInt8]] {
    input.split(separator: 0x0a).map(Array.init)
}

/// Input as text the way the file readers make it (invalid UTF-8 replaced).
func text(_ input: [UInt8]) -> String {
    String(decoding: input, as: UTF8.self)
}
