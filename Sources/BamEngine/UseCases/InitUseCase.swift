import Foundation

/// What a front end asks of `bam init`: a new backup secret in the
/// registry, linked to a Hub account (with its API key) or solo.
/// The API key is a secret: it travels in this value, in memory, never
/// in argv or a file.
public struct InitRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The Hub account's API key; nil initialises solo.
    public var apiKey: String?
    /// The Hub to link to; nil for `$BAM_HUB_URL`, else the placeholder.
    public var hubURL: String?
    /// CA certificates (a PEM file) for the Hub's TLS certificate; nil:
    /// the system store.
    public var caFile: String?
    /// The directory that stands for /: its profile id picks the profile fetched from the Hub.
    public var root = "/"
    /// Replace an existing secret (existing backups become unreadable).
    public var force = false
    public var keyFormat: KeyPacket.Format = .v2
    /// Solo only: a local directory the backups go to (created 0700; the
    /// registry's backup address becomes file://DIR).
    public var backupDirectory: String?

    public init(registry: String) { self.registry = registry }

    public var solo: Bool { apiKey == nil }

    /// Refuses requests no init can run with.
    public func validate() throws {
        if solo && hubURL != nil { throw BamError.invalid("--solo uses no Hub: drop --hub") }
        if solo && caFile != nil { throw BamError.invalid("--solo uses no Hub: drop --ca-file") }
        if !solo && backupDirectory != nil { throw BamError.invalid("a Hub chooses where backups go: a backup directory is for a solo registry") }
        if !root.hasPrefix("/") { throw BamError.invalid("--root must be an absolute path") }
        if let backupDirectory, !backupDirectory.hasPrefix("/") { throw BamError.invalid("the backup directory must be an absolute path") }
    }
}

/// What `bam init` did, as `bam init --json` prints it.
public struct InitOutcome: Codable, Sendable, Equatable {
    public var registry: String
    public var initialised = true
    /// The Hub linked to (absent solo).
    public var hub: String?
    public var key: String
    public var fingerprint: String
    public var profileID: String?
    /// downloaded, current, not on the Hub, cached.
    public var profile: String?
    /// The storage credentials' type, or `not yet`.
    public var credentials: String?
    /// Solo with a backup directory: the registry's new backup address.
    public var address: String?

    enum CodingKeys: String, CodingKey {
        case registry, initialised, hub, key, fingerprint, profile, credentials, address
        case profileID = "profile_id"
    }

    /// The summary a person reads.
    public var text: String {
        guard let hub else {
            var text = "initialised \(registry) (solo); key fingerprint \(fingerprint), not passphrase-protected (see 'bam passphrase')"
            if let address { text += "\nbackups go to \(address)" }
            return text
        }
        return """
            linked \(registry) to the Hub at \(hub); key fingerprint \(fingerprint), not passphrase-protected (see 'bam passphrase')
            profile \(profileID ?? ""): \(profile ?? "")
            """
    }
}

/// Initialises a registry: solo (a new secret and an unprotected key
/// packet, and optionally a local backup directory), or linked to a Hub
/// (the API key buys a subkey, then secret, credentials and profile).
public struct InitUseCase {
    public let request: InitRequest
    public let progress: ProgressReporter

    public init(_ request: InitRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> InitOutcome {
        try request.validate()
        let registry = Registry(path: request.registry)
        guard let apiKey = request.apiKey else { return try runSolo(registry) }
        let url = request.hubURL ?? HubClient.defaultURL()
        let profileID = ProfileID.detect(root: request.root)
        let result = try HubSession.link(
            apiKey: apiKey, url: url, registry: registry, profileID: profileID, force: request.force,
            keyFormat: request.keyFormat, caFile: request.caFile, warn: { progress.report(.warning($0)) })
        var outcome = InitOutcome(registry: registry.path, key: registry.keyPath, fingerprint: KeyPacket.fingerprint(of: result.secret))
        outcome.hub = url
        outcome.profileID = profileID
        switch result.profile {
        case .downloaded: outcome.profile = "downloaded"
        case .current: outcome.profile = "current"
        case .notOnHub: outcome.profile = "not on the Hub"
        case .cached: outcome.profile = "cached"
        }
        outcome.credentials = result.credentialsType ?? "not yet"
        return outcome
    }

    private func runSolo(_ registry: Registry) throws -> InitOutcome {
        let secret = try registry.initialise(force: request.force)
        try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: request.keyFormat))
        var outcome = InitOutcome(registry: registry.path, key: registry.keyPath, fingerprint: KeyPacket.fingerprint(of: secret))
        if let directory = request.backupDirectory {
            outcome.address = try Self.backUp(to: directory, in: registry)
        }
        return outcome
    }

    /// Makes a solo registry's backups go to a local directory (created
    /// 0700): the registry's backup address becomes file://DIR, returned.
    public static func backUp(to directory: String, in registry: Registry) throws -> String {
        try Posix.makeDirectories(directory, mode: 0o700)
        let address = "file://" + directory
        try RegistryBackupAddress.save(address, in: registry)
        return address
    }
}
