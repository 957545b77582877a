import Foundation

/// What a front end asks of `bam escrow`: the backup secret in a key packet
/// of its own, written to a file or handed back. The passphrase is a
/// secret: it travels in this value, in memory, never in argv or a file.
public struct EscrowRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// Where to write the key (mode 0600); nil hands it back in the outcome.
    public var file: String?
    /// The escrow key's own passphrase (with neither flag below).
    public var passphrase = ""
    /// Leave the escrow key unprotected.
    public var noPassphrase = false
    /// Protect it with a generated passphrase (returned once, in the outcome).
    public var randomPassphrase = false
    public var keyFormat: KeyPacket.Format = .v2
    /// Replace `file` if it exists.
    public var force = false

    public init(registry: String) { self.registry = registry }

    /// Refuses requests no escrow can run with.
    public func validate() throws {
        if noPassphrase && randomPassphrase { throw BamError.invalid("--no-passphrase and --random-passphrase exclude each other") }
        if file?.isEmpty == true { throw BamError.invalid("FILE must not be empty (use - for standard output)") }
    }
}

/// What `bam escrow` did, as `bam escrow --json` prints it.
public struct EscrowOutcome: Codable, Sendable, Equatable {
    /// The file written, or nil when the key is handed back.
    public var file: String?
    /// The key packet, when not written to a file.
    public var key: String?
    public var format: KeyPacket.Format
    public var fingerprint: String
    public var protected: Bool
    /// The generated passphrase (with `randomPassphrase` only): shown once.
    public var passphrase: String?

    public var text: String {
        var text =
            "wrote a \(format.rawValue) escrow key to \(file ?? "-") (fingerprint \(fingerprint), \(protected ? "passphrase-protected" : "NOT protected by a passphrase"))"
        if let passphrase { text += "\nrandom passphrase: \(passphrase)" }
        return text
    }
}

/// Seals the registry's secret in an escrow key: with it (and its
/// passphrase) a restore needs neither a Hub nor this server's registry.
public struct EscrowUseCase {
    public let request: EscrowRequest

    public init(_ request: EscrowRequest) { self.request = request }

    /// Fails as `run` would before a passphrase is chosen (no secret, the
    /// file exists), so a front end can check before it asks for one.
    public func checkBeforePassphrase() throws {
        try request.validate()
        _ = try Registry(path: request.registry).loadSecret()
        if let file = request.file, Posix.fileExists(file) && !request.force {
            throw BamError.invalid("\(file) already exists; use --force to replace it")
        }
    }

    public func run() throws -> EscrowOutcome {
        try checkBeforePassphrase()
        let secret = try Registry(path: request.registry).loadSecret()
        let passphrase: String
        if request.noPassphrase {
            passphrase = ""
        } else if request.randomPassphrase {
            passphrase = RandomPassphrase.generate()
        } else {
            passphrase = request.passphrase
            if passphrase.isEmpty {
                throw BamError.invalid("the passphrase is empty; use --no-passphrase to write an unprotected escrow key")
            }
        }
        let packet = try KeyPacket.seal(secret: secret, passphrase: passphrase, format: request.keyFormat)
        var outcome = EscrowOutcome(
            format: request.keyFormat, fingerprint: KeyPacket.fingerprint(of: secret), protected: !passphrase.isEmpty,
            passphrase: request.randomPassphrase ? passphrase : nil)
        if let file = request.file {
            try Posix.writeFileAtomically(file, Array((packet + "\n").utf8), mode: 0o600)
            outcome.file = file
        } else {
            outcome.key = packet
        }
        return outcome
    }
}
