import Foundation

/// What a command does with the Hub, with the registry as its cache: when
/// the Hub is unreachable, the cached credentials, record (`hbr`) and
/// profile are used and a warning says so; when it answers with an error,
/// that error stands (a refused subkey is not something to paper over).
public final class HubSession {
    public let registry: Registry
    private let client: HubClient
    private let warn: (String) -> Void
    /// Set by the first call that found the Hub unreachable: later calls
    /// of the same command fail at once instead of waiting on it again.
    public private(set) var unreachable: HubError?

    /// The client, unless the Hub was already found unreachable.
    private var hub: HubClient {
        get throws {
            if let unreachable { throw unreachable }
            return client
        }
    }

    private var warnedUnreachable = false

    /// A fallback's warning: the first names the Hub's error, later ones
    /// of the same command only say what was done instead.
    private func warnOffline(_ error: HubError, _ fallback: String) {
        if warnedUnreachable { warn(fallback) } else { warn("\(error); \(fallback)") }
        warnedUnreachable = true
    }

    /// Remembers that the Hub is unreachable; true when `error` says so.
    private func noteUnreachable(_ error: HubError) -> Bool {
        guard error.isUnreachable else { return false }
        if unreachable == nil { unreachable = error }
        return true
    }

    public init(registry: Registry, client: HubClient, warn: @escaping (String) -> Void) {
        self.registry = registry
        self.client = client
        self.warn = warn
    }

    /// The session of a linked registry.
    public convenience init(registry: Registry, caFile: String? = nil, warn: @escaping (String) -> Void) throws {
        self.init(registry: registry, client: try registry.hubClient(caFile: caFile), warn: warn)
    }

    /// The session of a linked registry whose Hub, when the registry names
    /// none, is `hubURL` (nil: `$BAM_HUB_URL` or the placeholder).
    public convenience init(registry: Registry, hubURL: String?, warn: @escaping (String) -> Void) throws {
        let client = try hubURL.map { try registry.hubClient(defaultURL: $0) } ?? registry.hubClient()
        self.init(registry: registry, client: client, warn: warn)
    }

    // MARK: linking

    /// What `bam init APIKEY` did.
    public struct LinkResult {
        public var subkey: String
        public var secret: BackupSecret
        public var credentialsType: String?
        public var profile: ProfileUpdate
    }

    /// Links a registry to the Hub: the API key buys a subkey (checked
    /// before anything is written, so a wrong key changes nothing), then a
    /// new secret and an unprotected key packet, the Hub URL and subkey,
    /// storage credentials and the profile for `profileID`. Credentials and
    /// profile are best effort: the next backup fetches them again.
    public static func link(
        apiKey: String, url: String, registry: Registry, profileID: String, force: Bool,
        keyFormat: KeyPacket.Format, caFile: String? = nil, warn: @escaping (String) -> Void
    ) throws -> LinkResult {
        guard !apiKey.isEmpty, !apiKey.contains(where: { $0.isWhitespace }) else {
            throw BamError.invalid("the API key is empty or contains white space")
        }
        if registry.isInitialised && !force {
            throw BamError.registry(
                "\(registry.path) is already initialised; re-initialising replaces the secret and makes existing backups unreadable (use --force to do it anyway)"
            )
        }
        let subkey = try HubClient(url: url, subkey: nil, caFile: caFile).fetchSubkey(apiKey: apiKey)
        let secret = try registry.initialise(force: force)
        try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: keyFormat))
        // A record of an earlier link belongs to the old secret.
        unlink(RegistryBackupAddress.path(registry))
        try registry.saveHubLink(url: url, subkey: subkey, caFile: caFile)
        let session = HubSession(registry: registry, client: try HubClient(url: url, subkey: subkey, caFile: caFile), warn: warn)
        var credentialsType: String?
        do {
            let credentials = try session.hub.fetchCredentials()
            try credentials.save(in: registry)
            credentialsType = credentials.type
        } catch let error as HubError {
            warn("could not get storage credentials from the Hub yet (\(error)); 'bam backup' asks again")
        }
        let profile = try session.updateProfile(profileID: profileID)
        return LinkResult(subkey: subkey, secret: secret, credentialsType: credentialsType, profile: profile)
    }

    // MARK: credentials

    /// Makes sure the registry's `credentials` are current for the storage
    /// of record `backupID` (nil: the account's): fetched when missing,
    /// issued for another record, expiring or expired; the cached ones
    /// (with a warning) when the Hub is unreachable.
    public func refreshCredentials(backupID: String?, force: Bool = false) throws {
        let cached = try? HubCredentials.load(from: registry)
        if !force, let cached, cached.backupID == backupID, !cached.needsRefresh() { return }
        do {
            try hub.fetchCredentials(backupID: backupID).save(in: registry)
        } catch let error as HubError where noteUnreachable(error) {
            guard cached != nil else {
                throw BamError.external("\(error); no storage credentials are cached in \(HubCredentials.path(registry))")
            }
            warnOffline(error, "using the cached storage credentials")
        }
    }

    // MARK: profile

    public enum ProfileUpdate: Equatable {
        case downloaded(stamp: Int64)
        case current
        /// The Hub has no profile for this id.
        case notOnHub
        /// The Hub is down; the cached profile (if any) stays.
        case cached
    }

    /// Downloads the Hub's profile for `profileID` into the registry when it
    /// is newer than the cached one.
    @discardableResult
    public func updateProfile(profileID: String) throws -> ProfileUpdate {
        let directory = ProfileSource.registryProfile(registry)
        do {
            let stamp = try hub.profileTimestamp(profileID: profileID)
            guard HubProfileArchive.isNewer(stamp, profileID: profileID, than: directory) else { return .current }
            let archive = try hub.profileArchive(profileID: profileID)
            try HubProfileArchive.install(archive, profileID: profileID, stamp: stamp, into: directory)
            return .downloaded(stamp: stamp)
        } catch let error as HubError where error.name == HubError.archiveNotFound {
            if !Posix.fileExists(directory + "/" + DirIndexConf.fileName) {
                warn("the Hub has no profile for \(profileID); give 'bam backup' --force-profile DIR|empty or put one in \(directory)")
            }
            return .notOnHub
        } catch let error as HubError where noteUnreachable(error) {
            warnOffline(error, "using the cached profile in \(directory)")
            return .cached
        }
    }

    // MARK: records

    /// This server's record for a backup: the cached `hbr` one refreshed
    /// from the Hub, else a new record created with the registry's key
    /// packet. When the Hub is unreachable, the cached record (a warning
    /// says so); without one there is nowhere to back up to.
    public func backupRecord(profileID: String, serverID: String? = nil) throws -> (record: HubRecord, offline: Bool) {
        let cached = try HubBackupRegistration.load(registry)
        do {
            if let id = cached?.backupID {
                do {
                    let record = try hub.record(id)
                    return (record, false)
                } catch let error as HubError where error.name == HubError.recordNotFound {
                    warn("the Hub has no record \(id) any more (\(error)); creating a new one")
                }
            }
            let key = try registry.loadKey()
            let record = try hub.createRecord(
                key: key, profileID: profileID, serverID: serverID,
                skpp: try KeyPacket.isPassphraseProtected(key))
            try HubBackupRegistration(record: record).save(in: registry)
            return (record, false)
        } catch let error as HubError where noteUnreachable(error) {
            guard let cached, let id = cached.backupID else {
                throw BamError.external("\(error); this server has no backup record yet, so there is no address to back up to")
            }
            warnOffline(error, "backing up to the cached address of record \(id)")
            return (HubRecord(backupID: id, address: cached.address, size: cached.size ?? 0, skpp: cached.skpp ?? false), true)
        }
    }

    /// Marks a record in progress or not. A Hub that does not answer gets a
    /// warning: the backup itself does not depend on the flag.
    public func setInProgress(_ record: HubRecord, _ inProgress: Bool) {
        do {
            try hub.setInProgress(backupID: record.backupID, inProgress)
        } catch let error as HubError where error.isUnreachable && warnedUnreachable {
            // Already said: the Hub is down for this command.
        } catch {
            warn("could not mark backup record \(record.backupID) \(inProgress ? "in progress" : "done") on the Hub: \(error)")
        }
    }

    /// After a successful backup: tells the Hub (which refreshes the size)
    /// and caches the record with the time of the backup. The Hub being
    /// down leaves the cache updated and a warning.
    public func backupDone(_ record: HubRecord) throws {
        let skpp = (try? KeyPacket.isPassphraseProtected(try registry.loadKey())) ?? record.skpp
        var registration = HubBackupRegistration(record: record)
        registration.updated = HubBackupRegistration.timestamp()
        registration.skpp = skpp
        do {
            try hub.recordBackupDone(backupID: record.backupID, address: record.address, skpp: skpp)
            if let fresh = try? hub.record(record.backupID) {
                registration.size = fresh.size
                if !fresh.dateUpdated.isEmpty { registration.updated = fresh.dateUpdated }
            }
        } catch let error as HubError where noteUnreachable(error) {
            warnOffline(error, "the backup is stored, but the Hub's record \(record.backupID) was not updated")
        }
        try registration.save(in: registry)
    }

    /// Uploads a new key packet to this server's record before it is saved
    /// locally (nothing to do before the first backup created a record).
    /// Returns the record id it went to.
    @discardableResult
    public func uploadKey(_ packet: String) throws -> String? {
        guard let id = try HubBackupRegistration.load(registry)?.backupID else { return nil }
        try hub.updateKey(backupID: id, key: packet, skpp: try KeyPacket.isPassphraseProtected(packet))
        if var registration = try HubBackupRegistration.load(registry) {
            registration.skpp = try KeyPacket.isPassphraseProtected(packet)
            try registration.save(in: registry)
        }
        return id
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension HubSession {
    /// The record of a backup to restore, with storage credentials made
    /// current for reading it. When the Hub is unreachable, only this
    /// server's own cached record can be restored (its key is the
    /// registry's), and a warning says so.
    public func restoreRecord(_ backupID: String) throws -> (record: HubRecord, offline: Bool) {
        do {
            let record = try hub.record(backupID)
            try refreshCredentials(backupID: backupID)
            return (record, false)
        } catch let error as HubError where noteUnreachable(error) {
            guard let cached = try HubBackupRegistration.load(registry), cached.backupID == backupID else {
                throw BamError.external("\(error); backup \(backupID) is not this server's own, so its address and key are only on the Hub")
            }
            warnOffline(error, "restoring this server's own backup \(backupID) from its cached address with the registry's key")
            return (HubRecord(backupID: backupID, address: cached.address, key: try registry.loadKey(), skpp: cached.skpp ?? false), true)
        }
    }
}

extension HubSession {
    /// The account's records; when the Hub is unreachable, this server's
    /// own cached record (if any), with a warning.
    public func listRecords() throws -> [HubRecord] {
        do {
            return try hub.records()
        } catch let error as HubError where noteUnreachable(error) {
            guard let cached = try HubBackupRegistration.load(registry), let id = cached.backupID else { throw error }
            warnOffline(error, "listing only this server's cached record")
            return [
                HubRecord(
                    backupID: id, address: cached.address, dateUpdated: cached.updated ?? "",
                    size: cached.size ?? 0, skpp: cached.skpp ?? false)
            ]
        }
    }

    /// This server's record as `bam status` shows it: the cache, refreshed
    /// from the Hub when it answers (a warning when it does not).
    public func currentRegistration() throws -> HubBackupRegistration? {
        guard var cached = try HubBackupRegistration.load(registry) else { return nil }
        guard let id = cached.backupID else { return cached }
        do {
            let record = try hub.record(id)
            cached.size = record.size
            cached.skpp = record.skpp
            if !record.dateUpdated.isEmpty && cached.updated != nil { cached.updated = record.dateUpdated }
            try cached.save(in: registry)
        } catch let error as HubError {
            warnOffline(error, "showing the cached record")
        }
        return cached
    }
}
