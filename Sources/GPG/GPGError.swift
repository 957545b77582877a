/// Failures of GnuPG operations, classified so callers can tell a wrong
/// passphrase from damaged data.
public enum GPGError: Error, CustomStringConvertible, Equatable {
    /// The passphrase does not decrypt the session key.
    case badPassphrase
    /// The data is not a valid OpenPGP message or fails its integrity check.
    case damaged(String)
    /// GnuPG itself failed (missing binary, agent trouble, I/O).
    case failed(String)

    public var description: String {
        switch self {
        case .badPassphrase: return "wrong passphrase"
        case .damaged(let why): return "damaged encrypted data (\(why))"
        case .failed(let why): return "GnuPG failed: \(why)"
        }
    }
}
