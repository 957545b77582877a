import Foundation

/// What a front end asks of `bam passphrase`: the registry's secret, which
/// never changes, wrapped in a new key packet. The passphrase is a secret:
/// it travels in this value, in memory, never in argv or a file.
public struct PassphraseRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The new passphrase; ignored with `random`.
    public var passphrase = ""
    /// Generate a passphrase (returned once, in the outcome).
    public var random = false
    public var keyFormat: KeyPacket.Format = .v2
    /// The caller confirmed that an empty passphrase removes the protection.
    public var allowEmpty = false
    /// The Hub when the registry names none (nil: `$BAM_HUB_URL`).
    public var hubURL: String?

    public init(registry: String) { self.registry = registry }
}

/// What `bam passphrase` did, as `bam passphrase --json` prints it.
public struct PassphraseOutcome: Codable, Sendable, Equatable {
    public var key: String
    public var format: KeyPacket.Format
    public var fingerprint: String
    public var protected: Bool
    /// The Hub's backup record the packet was uploaded to.
    public var hubRecord: String?
    /// The generated passphrase (with `random` only): shown once.
    public var passphrase: String?

    enum CodingKeys: String, CodingKey {
        case key, format, fingerprint, protected, passphrase
        case hubRecord = "hub_record"
    }

    public var text: String {
        var text =
            "saved a new \(format.rawValue) key packet to \(key) (fingerprint \(fingerprint), \(protected ? "passphrase-protected" : "NOT protected by a passphrase"))"
        if let hubRecord { text += "\nuploaded to the Hub's backup record \(hubRecord)" }
        if let passphrase { text += "\nrandom passphrase: \(passphrase)" }
        return text
    }
}

/// Re-wraps the backup secret in a new key packet: on a server linked to
/// a Hub with a record, uploaded first and saved locally only if that
/// succeeded, so the Hub never holds an older passphrase than the one the
/// user believes is current.
public struct PassphraseUseCase {
    public let request: PassphraseRequest
    public let progress: ProgressReporter

    public init(_ request: PassphraseRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    /// Fails as `run` would before a passphrase is chosen (no secret), so a
    /// front end can check before it asks for one.
    public func checkBeforePassphrase() throws { _ = try Registry(path: request.registry).loadSecret() }

    public func run() throws -> PassphraseOutcome {
        let registry = Registry(path: request.registry)
        let secret = try registry.loadSecret()
        let passphrase = request.random ? RandomPassphrase.generate() : request.passphrase
        if passphrase.isEmpty && !request.allowEmpty {
            throw BamError.invalid("an empty passphrase removes the key's protection; it needs a confirmation")
        }
        let packet = try KeyPacket.seal(secret: secret, passphrase: passphrase, format: request.keyFormat)
        var uploadedTo: String?
        if registry.isHubLinked {
            uploadedTo = try HubSession(registry: registry, hubURL: request.hubURL, warn: { progress.report(.warning($0)) }).uploadKey(packet)
        }
        try registry.saveKey(packet)
        return PassphraseOutcome(
            key: registry.keyPath, format: request.keyFormat, fingerprint: KeyPacket.fingerprint(of: secret),
            protected: !passphrase.isEmpty, hubRecord: uploadedTo, passphrase: request.random ? passphrase : nil)
    }
}
