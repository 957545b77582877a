/// A transfer over SFTP that did not complete.
public struct SFTPError: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case couldNotResolve
        case couldNotConnect
        /// The server's host key is not the known one, or is not known yet.
        case hostKey
        /// The server refused the user's key (or the agent's keys).
        case loginDenied
        /// The server refused the operation on a file (permissions).
        case accessDenied
        case notFound
        /// A command run around the transfer (rename, rm, ...) failed.
        case commandFailed
        /// A range or resume offset beyond the end of the remote file.
        case beyondEnd
        case timeout
        case connectionLost
        /// Reading the local file to send or writing the one received.
        case localFile
        /// The body sent to memory was larger than the caller's limit.
        case tooLarge
        case other
    }

    public let kind: Kind
    /// The libcurl code, or 0 for errors raised here.
    public let code: Int
    public let message: String
    /// For `.hostKey`: what the server showed.
    public let hostKey: SFTPHostKeyProblem?

    public init(kind: Kind, code: Int, message: String, hostKey: SFTPHostKeyProblem? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.hostKey = hostKey
    }

    /// Whether trying again may succeed.
    public var isTransient: Bool {
        switch kind {
        case .couldNotResolve, .couldNotConnect, .timeout, .connectionLost: return true
        // libcurl's catch-all SSH error covers a session cut during its
        // set-up (a server busy with other connections drops the banner).
        case .other: return code == 79
        default: return false
        }
    }

    public var description: String { message }
}

/// A host key refused: unknown to the known_hosts file, or different from
/// the one recorded there.
public struct SFTPHostKeyProblem: Sendable, Equatable {
    /// The name the known_hosts file uses: `host`, or `[host]:port`.
    public let knownHostsName: String
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, ... as the key itself names
    /// its type; "unknown" when the blob does not say.
    public let keyType: String
    /// The key blob the server showed (the wire format, as in known_hosts
    /// after base64 decoding).
    public let key: [UInt8]
    /// True: the file has another key for this host; false: none.
    public let changed: Bool
    public let knownHostsFile: String
}
