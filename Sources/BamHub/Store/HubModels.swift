import BamEngine
import Foundation

/// A Hub customer: one email, one API key (stored as a SHA-256 hash), and a
/// random storage token that names the account's prefix in every region.
public struct Account: Equatable, Sendable {
    public let id: Int64
    public let email: String
    public let storageToken: String
    public let created: Int64
}

/// Where backups are stored for clients near (lat, lon). `endpoint` is an
/// S3 URL (`https://host`, `http://host:port`) or a `file:///dir` for a
/// single-machine Hub.
public struct Region: Equatable, Sendable {
    public var name: String
    public var endpoint: String
    public var bucket: String
    public var latitude: Double
    public var longitude: Double
    public var accessKey: String?
    public var secretKey: String?
    public var stsRole: String?
    public var isDefault: Bool
    /// Hand each record the keys of its own IAM user, limited to its prefix.
    public var iamUsers: Bool

    public init(
        name: String, endpoint: String, bucket: String, latitude: Double, longitude: Double,
        accessKey: String? = nil, secretKey: String? = nil, stsRole: String? = nil, isDefault: Bool = false,
        iamUsers: Bool = false
    ) {
        self.name = name
        self.endpoint = endpoint
        self.bucket = bucket
        self.latitude = latitude
        self.longitude = longitude
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.stsRole = stsRole
        self.isDefault = isDefault
        self.iamUsers = iamUsers
    }

    public var isFile: Bool { endpoint.hasPrefix("file://") }
}

/// One backup of one server, as the API and the web pages show it.
public struct BackupRecord: Equatable, Sendable {
    public var id: Int64
    public var accountId: Int64
    public var address: String
    public var key: String
    public var serverId: String
    public var turnkeyVersion: String
    public var created: Int64
    public var updated: Int64
    public var size: Int64
    public var description: String
    public var inProgress: Bool
    public var skpp: Bool
    /// The region the Hub chose (its storage, its credentials).
    public var regionName: String
    /// The Hub-chosen prefix inside the region's bucket or directory.
    public var storagePrefix: String
}

/// An install profile archive (tar.gz) for one profile id.
public struct ProfileArchive: Equatable, Sendable {
    public let profileId: String
    public let timestamp: Int64
    public let content: [UInt8]
}

/// A signed-in browser: the cookie's token is stored hashed.
public struct WebSession: Equatable, Sendable {
    public let accountId: Int64
    public let csrfToken: String
    public let expires: Int64
}

/// The Hub's persistent state. `SQLStore` implements it over SQLite and
/// PostgreSQL alike; the API, the pages and the admin commands see only this.
public protocol HubStore: AnyObject, Sendable {
    func migrate() throws

    func addAccount(email: String, apiKeyHash: String, storageToken: String, now: Int64) throws -> Account
    func account(email: String) throws -> Account?
    func account(id: Int64) throws -> Account?
    func account(apiKeyHash: String) throws -> Account?
    func setApiKeyHash(accountId: Int64, hash: String) throws

    func addSubkey(hash: String, accountId: Int64, now: Int64) throws
    func account(subkeyHash: String) throws -> Account?

    func addRegion(_ region: Region) throws
    func regions() throws -> [Region]

    func createRecord(_ record: BackupRecord) throws -> BackupRecord
    func record(id: Int64, accountId: Int64) throws -> BackupRecord?
    func records(accountId: Int64) throws -> [BackupRecord]
    /// One page of the account's records in the servers page's order
    /// (server id, then id): one query, whatever the account's size.
    func records(accountId: Int64, limit: Int, offset: Int) throws -> [BackupRecord]
    func recordCount(accountId: Int64) throws -> Int
    /// The account's newest record (highest id), without reading the others.
    func latestRecord(accountId: Int64) throws -> BackupRecord?
    func updateRecord(_ record: BackupRecord) throws
    func deleteRecord(id: Int64, accountId: Int64) throws

    /// The IAM user of a record in an `--iam-users` region.
    func setRecordUser(recordId: Int64, userName: String, accessKey: String, secretKey: String) throws
    func recordUser(recordId: Int64) throws -> (userName: String, credentials: S3Credentials)?
    /// The account's IAM user in an `--iam-users` region (its whole prefix).
    /// A user already stored wins: the call then changes nothing.
    func setAccountUser(accountId: Int64, region: String, userName: String, accessKey: String, secretKey: String) throws
    /// Claims the right to create the account's IAM user in `region`: true
    /// for exactly one caller among every Hub process on the database, until
    /// it releases the claim or the claim is older than `staleBefore` (its
    /// process died mid-creation).
    func claimAccountUser(accountId: Int64, region: String, now: Int64, staleBefore: Int64) throws -> Bool
    func releaseAccountUserClaim(accountId: Int64, region: String) throws
    func accountUser(accountId: Int64, region: String) throws -> (userName: String, credentials: S3Credentials)?

    func putProfile(_ profile: ProfileArchive) throws
    func profile(id: String) throws -> ProfileArchive?
    func profileIds() throws -> [String]

    /// The account's retention policy, the default of its servers (nil:
    /// never set, so everything is kept); setting an empty policy keeps everything.
    func retention(accountId: Int64) throws -> RetentionPolicy?
    func setRetention(accountId: Int64, policy: RetentionPolicy, now: Int64) throws
    /// One record's own policy, overriding the account's (nil: none; the
    /// account's applies). Another account's record is never read or changed.
    func retention(recordId: Int64, accountId: Int64) throws -> RetentionPolicy?
    func setRetention(recordId: Int64, accountId: Int64, policy: RetentionPolicy?, now: Int64) throws
    /// Every record's own policy in the account, by record id.
    func recordRetentions(accountId: Int64) throws -> [Int64: RetentionPolicy]

    func addSession(tokenHash: String, session: WebSession) throws
    func session(tokenHash: String, now: Int64) throws -> WebSession?
    func deleteSession(tokenHash: String) throws

    /// A failed API key or subkey from `address` (`FailureThrottle`);
    /// failures up to `expired` are forgotten on the way.
    func addFailure(address: String, at: Int64, forgetUpTo expired: Int64) throws
    func failureCount(address: String, after: Int64) throws -> Int
}

public enum HubStoreError: Error, CustomStringConvertible, Equatable {
    case duplicate(String)
    case notFound(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .duplicate(m), let .notFound(m), let .invalid(m): return m
        }
    }
}
