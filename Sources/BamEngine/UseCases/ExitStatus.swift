/// bam's exit codes: the one definition the CLI, the Webmin pages and the
/// README table follow. Scripts rely on these numbers.
///
/// The codes of `BamExitStatus` mean the same for every command. `status`
/// is a report, not an operation: its own codes (`StatusExitStatus`) are
/// the original tklbam-status's, scoped to that one command.
public enum BamExitStatus: Int32, Codable, Sendable, CaseIterable {
    case success = 0
    /// A failure; for `verify --compare`, a difference was found.
    case failure = 1
    /// Restoring onto a different appliance needs `--force`.
    case incompatible = 10
    case wrongPassphrase = 11
    /// Backup data damaged or missing (the volume, file or line is named).
    case damaged = 12
    /// An unsafe path (or, with `--no-special-files`, a special file) refused.
    case unsafePath = 13
    /// Another run holds this registry's lock or the target's `bam-lock`.
    case locked = 14
    /// Bad command-line usage.
    case usage = 64

    /// The code a failure with `error` exits with.
    public static func of(_ error: Error) -> BamExitStatus {
        guard let error = error as? BamError else { return .failure }
        switch error {
        case .wrongPassphrase: return .wrongPassphrase
        case .corrupt, .missing: return .damaged
        case .unsafePath: return .unsafePath
        case .incompatible: return .incompatible
        case .locked: return .locked
        case .io, .invalid, .registry, .external: return .failure
        }
    }

    /// One line per code, for `bam --help` and the README table.
    public var meaning: String {
        switch self {
        case .success: return "success"
        case .failure: return "failure; for verify --compare, a difference was found"
        case .incompatible: return "restoring onto a different appliance needs --force"
        case .wrongPassphrase: return "wrong passphrase"
        case .damaged: return "backup data damaged or missing (the volume, file or line is named)"
        case .unsafePath: return "an unsafe path refused (or, with --no-special-files, a special file)"
        case .locked: return "another run holds the registry's lock or the target's bam-lock"
        case .usage: return "bad command-line usage"
        }
    }
}

/// The exit codes of `bam status` alone (the original tklbam-status's):
/// they report a state, they are not failures of an operation.
public enum StatusExitStatus: Int32, Codable, Sendable, CaseIterable {
    /// Initialised and backed up at least once.
    case backedUp = 0
    /// Initialised, never backed up.
    case noBackup = 10
    /// Not initialised.
    case notInitialised = 11
}
