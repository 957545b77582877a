import BamEngine
import Foundation

/// What the Hub does, independent of HTTP: the API routes and the web pages
/// are thin layers over these calls. Every call is synchronous (database,
/// storage listing, STS); the routes run them off the event loop.
public final class HubService: @unchecked Sendable {
    public let store: HubStore
    public let router: RegionRouter
    public let throttle: FailureThrottle
    /// Lifetime of credentials from STS.
    public var credentialSeconds = 3600

    public init(store: HubStore, router: RegionRouter, throttle: FailureThrottle? = nil) {
        self.store = store
        self.router = router
        self.throttle = throttle ?? FailureThrottle(store: store)
    }

    // MARK: Authentication

    /// `subkey/`: trades the account's API key for a new subkey, the
    /// appliance's own credential for every later call.
    public func exchangeSubkey(apiKey: String?, client: String) throws -> String {
        let now = HubDate.now()
        if try throttle.isBlocked(client, now: now) { throw HubAPIError.throttled() }
        guard let apiKey, !apiKey.isEmpty else { throw HubAPIError.missingArgument("apikey") }
        guard let account = try store.account(apiKeyHash: Secrets.sha256Hex(apiKey)) else {
            try throttle.recordFailure(client, now: now)
            throw HubAPIError.invalidApiKey()
        }
        let subkey = Secrets.randomHex(bytes: 20).uppercased()
        try store.addSubkey(hash: Secrets.sha256Hex(subkey), accountId: account.id, now: now)
        return subkey
    }

    /// The account a `subkey` header belongs to.
    public func authenticate(subkey: String?, client: String) throws -> Account {
        let now = HubDate.now()
        if try throttle.isBlocked(client, now: now) { throw HubAPIError.throttled() }
        guard let subkey, !subkey.isEmpty, let account = try store.account(subkeyHash: Secrets.sha256Hex(subkey)) else {
            try throttle.recordFailure(client, now: now)
            throw HubAPIError.invalidSubkey()
        }
        return account
    }

    /// Web sign-in: email plus the account's API key.
    public func signIn(email: String, apiKey: String, client: String) throws -> Account {
        let now = HubDate.now()
        if try throttle.isBlocked(client, now: now) { throw HubAPIError.throttled() }
        guard let account = try store.account(apiKeyHash: Secrets.sha256Hex(apiKey)),
            Secrets.constantTimeEquals(account.email.lowercased(), email.lowercased())
        else {
            try throttle.recordFailure(client, now: now)
            throw HubAPIError.invalidApiKey()
        }
        return account
    }

    /// A new API key for the account; the old one stops working at once
    /// (subkeys already issued to appliances keep working).
    public func rotateApiKey(account: Account) throws -> String {
        let key = Secrets.newApiKey()
        try store.setApiKeyHash(accountId: account.id, hash: Secrets.sha256Hex(key))
        return key
    }

    // MARK: Records

    public func records(account: Account) throws -> [BackupRecord] {
        try store.records(accountId: account.id)
    }

    public func record(account: Account, id: String) throws -> BackupRecord {
        guard let n = Int64(id), let record = try store.record(id: n, accountId: account.id) else {
            throw HubAPIError.recordNotFound(id)
        }
        return record
    }

    public func createRecord(
        account: Account, key: String?, turnkeyVersion: String?, serverId: String?,
        skpp: Bool?, client: String?, kind: HubClientKind = .bam
    ) throws -> BackupRecord {
        guard let key, !key.isEmpty else { throw HubAPIError.missingArgument("key") }
        guard let turnkeyVersion, !turnkeyVersion.isEmpty else { throw HubAPIError.missingArgument("turnkey_version") }
        try checkKeyPacket(key)
        guard let region = router.region(for: client, among: try usableRegions(kind)) else { throw HubAPIError.noRegion() }
        let prefix = "bam/\(account.storageToken)/\(Secrets.randomHex(bytes: 8))"
        let storage = RecordStorage(region: region, prefix: prefix)
        let now = HubDate.now()
        let record = BackupRecord(
            id: 0, accountId: account.id, address: storage.address, key: key, serverId: serverId ?? "",
            turnkeyVersion: turnkeyVersion, created: now, updated: now, size: 0,
            description: turnkeyVersion, inProgress: false,
            skpp: try skpp ?? KeyPacket.isPassphraseProtected(key),
            regionName: region.name, storagePrefix: prefix)
        let stored = try store.createRecord(record)
        if region.iamUsers, let access = region.accessKey, let secret = region.secretKey {
            // The record's own IAM user; without it the record is useless, so undo on failure.
            let userName = "bam-\(account.storageToken)-\(stored.id)"
            do {
                let iam = IAMClient(
                    endpoint: IAMClient.endpoint(forS3Endpoint: region.endpoint),
                    credentials: S3Credentials(accessKey: access, secretKey: secret))
                let key = try iam.createScopedUser(userName: userName, bucket: region.bucket, prefix: prefix)
                try store.setRecordUser(recordId: stored.id, userName: userName, accessKey: key.accessKey, secretKey: key.secretKey)
            } catch {
                try? store.deleteRecord(id: stored.id, accountId: account.id)
                throw HubAPIError.internalError("cannot create the record's IAM user: \(error)")
            }
        }
        return stored
    }

    /// `PUT record/<id>/`: a new key packet (the passphrase changed).
    public func updateKey(account: Account, id: String, key: String?, skpp: Bool?) throws -> BackupRecord {
        var record = try self.record(account: account, id: id)
        guard let key, !key.isEmpty else { throw HubAPIError.missingArgument("key") }
        try checkKeyPacket(key)
        record.key = key
        record.skpp = try skpp ?? KeyPacket.isPassphraseProtected(key)
        record.updated = HubDate.now()
        try store.updateRecord(record)
        return record
    }

    public func setInProgress(account: Account, id: String, value: String?) throws {
        var record = try self.record(account: account, id: id)
        guard let value else { throw HubAPIError.missingArgument("bool") }
        switch value.lowercased() {
        case "true", "1": record.inProgress = true
        case "false", "0": record.inProgress = false
        default: throw HubAPIError.invalidArgument("bool", "expected true or false")
        }
        try store.updateRecord(record)
    }

    /// `PUT record/update/`: a backup finished at `address`; the Hub
    /// measures what is stored under the record's prefix. bam names the
    /// record (`backup_id`); the original client sends only the address, so
    /// without `backup_id` the record is the account's one at that address
    /// (in either form, see `OriginalClientAddress`), and when several share
    /// it (bam moved records to one custom address), the most recently
    /// updated, then the newest. An address no record has is
    /// `BackupRecord.NotFound` (the original client backs up to custom
    /// addresses too and reports them here).
    public func updateAddress(account: Account, backupId: String?, address: String?, skpp: Bool?) throws -> BackupRecord {
        guard let address, !address.isEmpty else { throw HubAPIError.missingArgument("address") }
        var record: BackupRecord
        if let backupId {
            record = try self.record(account: account, id: backupId)
            if !OriginalClientAddress.matches(address, record.address) { record.address = address }
        } else {
            guard
                let found = try store.records(accountId: account.id)
                    .filter({ OriginalClientAddress.matches(address, $0.address) })
                    .max(by: { ($0.updated, $0.id) < ($1.updated, $1.id) })
            else { throw HubAPIError.recordNotFound("at \(address)") }
            record = found
        }
        if let skpp { record.skpp = skpp }
        record.updated = HubDate.now()
        record.inProgress = false
        if let storage = try storage(of: record), OriginalClientAddress.matches(address, storage.address) {
            do {
                record.size = ByteCount.total(try storage.objects().map(\.size))
            } catch {
                throw HubAPIError.internalError("cannot measure \(address): \(error)")
            }
        }
        try store.updateRecord(record)
        return record
    }

    public func deleteBackup(account: Account, id: String) throws {
        let record = try self.record(account: account, id: id)
        if let storage = try storage(of: record) {
            try storage.delete()
            if storage.region.iamUsers, let user = try store.recordUser(recordId: record.id),
                let access = storage.region.accessKey, let secret = storage.region.secretKey
            {
                try IAMClient(
                    endpoint: IAMClient.endpoint(forS3Endpoint: storage.region.endpoint),
                    credentials: S3Credentials(accessKey: access, secretKey: secret)
                )
                .deleteUser(userName: user.userName, accessKey: user.credentials.accessKey)
            }
        }
        try store.deleteRecord(id: record.id, accountId: account.id)
    }

    public func storage(of record: BackupRecord) throws -> RecordStorage? {
        guard let region = try store.regions().first(where: { $0.name == record.regionName }) else { return nil }
        return RecordStorage(region: region, prefix: record.storagePrefix)
    }

    private func checkKeyPacket(_ key: String) throws {
        do { _ = try KeyPacket.fingerprint(ofPacket: key) } catch {
            throw HubAPIError.invalidArgument("key", "not a key packet (\(error))")
        }
    }

    // MARK: Credentials

    /// `credentials/`: keys that reach the record's prefix (with `backup_id`)
    /// or the account's prefix holding all of its records (without), in the
    /// region of the account's latest record (or the client's nearest).
    ///
    /// The original client never sends `backup_id`: it asks at `tklbam-init`
    /// (before any record exists), before `record/create/` on its first
    /// backup, and before restoring any of the account's records on a new
    /// server. So in an `--iam-users` region the answer without `backup_id`
    /// is the account's own IAM user, limited to the account's prefix and
    /// made on first use; a record's user is handed out only for its
    /// `backup_id`, never to a call that did not name it.
    public func credentials(account: Account, backupId: String?, client: String?, kind: HubClientKind = .bam) throws -> IssuedCredentials {
        let region: Region
        let prefix: String
        let regions = try store.regions()
        var recordId: Int64?
        if let backupId {
            let record = try self.record(account: account, id: backupId)
            recordId = record.id
            guard let r = regions.first(where: { $0.name == record.regionName }) else { throw HubAPIError.noRegion() }
            region = r
            prefix = record.storagePrefix
        } else {
            let usable = try usableRegions(kind)
            let latest = try store.latestRecord(accountId: account.id)
            guard let r = usable.first(where: { $0.name == latest?.regionName }) ?? router.region(for: client, among: usable) else {
                throw HubAPIError.noRegion()
            }
            region = r
            prefix = "bam/\(account.storageToken)"
        }
        if region.isFile {
            guard kind == .bam else { throw HubAPIError.regionUnsupported(region.name) }
            return .none
        }
        guard let access = region.accessKey, let secret = region.secretKey else {
            throw HubAPIError.internalError("region \(region.name) has no keys")
        }
        if region.iamUsers {
            let user: S3Credentials
            if let recordId {
                guard let recordUser = try store.recordUser(recordId: recordId) else {
                    throw HubAPIError.internalError("record \(recordId) has no IAM user")
                }
                user = recordUser.credentials
            } else {
                user = try accountUser(account: account, region: region, prefix: prefix)
            }
            return IssuedCredentials(type: "iamuser", accessKey: user.accessKey, secretKey: user.secretKey, sessionToken: "", expiration: "")
        }
        if let role = region.stsRole {
            let sts = STSClient(
                endpoint: STSClient.endpoint(forS3Endpoint: region.endpoint),
                credentials: S3Credentials(accessKey: access, secretKey: secret))
            do {
                return try sts.assumeRole(
                    roleArn: role, sessionName: "bam-\(account.id)",
                    policy: STSClient.policy(bucket: region.bucket, prefix: prefix),
                    durationSeconds: credentialSeconds)
            } catch {
                throw HubAPIError.internalError("cannot issue credentials: \(error)")
            }
        }
        // Plain keys: the region's own, not limited to the prefix (documented).
        return IssuedCredentials(type: "iamuser", accessKey: access, secretKey: secret, sessionToken: "", expiration: "")
    }

    /// How long a claim to create an account's IAM user holds before
    /// another caller may take it over (its process died mid-creation), and
    /// how long a caller waits for another's creation to finish.
    static let accountUserClaimSeconds: Int64 = 120

    /// The account's IAM user in an `--iam-users` region (limited to the
    /// account's prefix), created on first use. Every Hub process on the
    /// database may get the first call at once: a claim row in the database
    /// (`claimAccountUser`) lets exactly one of them create the user, and
    /// the others wait for its keys, so IAM never gets two users.
    private func accountUser(account: Account, region: Region, prefix: String) throws -> S3Credentials {
        if let user = try store.accountUser(accountId: account.id, region: region.name) { return user.credentials }
        guard let access = region.accessKey, let secret = region.secretKey else {
            throw HubAPIError.internalError("region \(region.name) has no keys")
        }
        let deadline = Date().addingTimeInterval(Double(Self.accountUserClaimSeconds))
        while true {
            let now = HubDate.now()
            if try store.claimAccountUser(
                accountId: account.id, region: region.name, now: now, staleBefore: now - Self.accountUserClaimSeconds)
            {
                defer { try? store.releaseAccountUserClaim(accountId: account.id, region: region.name) }
                // Made by another between our read and our claim.
                if let user = try store.accountUser(accountId: account.id, region: region.name) { return user.credentials }
                return try createAccountUser(account: account, region: region, prefix: prefix, regionKey: S3Credentials(accessKey: access, secretKey: secret))
            }
            if let user = try store.accountUser(accountId: account.id, region: region.name) { return user.credentials }
            guard Date() < deadline else {
                throw HubAPIError.internalError("the account's IAM user in region \(region.name) is still being created; try again")
            }
            usleep(100_000)
        }
    }

    private func createAccountUser(account: Account, region: Region, prefix: String, regionKey: S3Credentials) throws -> S3Credentials {
        // IAM is global to an AWS account: the region in the name keeps two
        // --iam-users regions of one AWS account apart (64 characters at most).
        let userName = String("bam-\(account.storageToken)-all-\(region.name)".prefix(64))
        do {
            let key = try IAMClient(endpoint: IAMClient.endpoint(forS3Endpoint: region.endpoint), credentials: regionKey)
                .createScopedUser(userName: userName, bucket: region.bucket, prefix: prefix)
            try store.setAccountUser(accountId: account.id, region: region.name, userName: userName, accessKey: key.accessKey, secretKey: key.secretKey)
            // What is stored is the answer, should a taken-over claim have raced us.
            return try store.accountUser(accountId: account.id, region: region.name)?.credentials ?? key
        } catch {
            throw HubAPIError.internalError("cannot create the account's IAM user: \(error)")
        }
    }

    /// The regions a client can use: the original client cannot reach a
    /// `file://` directory, so it is placed only in S3 regions, and told so
    /// when the Hub has no other.
    private func usableRegions(_ kind: HubClientKind) throws -> [Region] {
        let regions = try store.regions()
        guard kind == .original else { return regions }
        let s3 = regions.filter { !$0.isFile }
        if s3.isEmpty, let file = regions.first { throw HubAPIError.regionUnsupported(file.name) }
        return s3
    }

    // MARK: Profiles

    public func archiveTimestamp(profileId: String?) throws -> Int64 {
        guard let profileId, !profileId.isEmpty else { throw HubAPIError.missingArgument("turnkey_version") }
        guard let profile = try store.profile(id: profileId) else { throw HubAPIError.archiveNotFound(profileId) }
        return profile.timestamp
    }

    /// The tar.gz in URL-safe Base64.
    public func archiveContent(profileId: String?) throws -> String {
        guard let profileId, !profileId.isEmpty else { throw HubAPIError.missingArgument("turnkey_version") }
        guard let profile = try store.profile(id: profileId) else { throw HubAPIError.archiveNotFound(profileId) }
        return Data(profile.content).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
