import Foundation

/// A backup record on the Hub: which server's backup it is, where its
/// volumes are stored (the address the Hub chose), and the key packet that
/// unlocks them.
public struct HubRecord: Equatable, Sendable, Codable {
    public var backupID: String
    public var address: String
    /// The key packet (Base64 text) as last uploaded. Not in the record's
    /// JSON (`bam list --json`): it is the secret's wrapping, shown only
    /// when asked for (`%key`).
    public var key = ""
    public var serverID: String
    /// The profile id the backup was made against.
    public var turnkeyVersion: String
    /// `YYYY-MM-DD HH:MM:SS`, UTC, as the Hub writes them.
    public var dateCreated: String
    public var dateUpdated: String
    /// Bytes stored, as the Hub last measured them.
    public var size: Int64
    public var description: String
    public var inProgress: Bool
    /// Whether the key packet is passphrase-protected, as the client reported.
    public var skpp: Bool
    /// The retention policy the Hub applies to this record (its own or
    /// the account's; empty: keep everything), from bam-shaped answers;
    /// nil when the Hub said nothing (an older Hub, a cached record).
    /// Not in `bam list --json`.
    public var retention: RetentionPolicy? = nil

    /// The Hub's field names, as `bam list --json` has always printed them.
    enum CodingKeys: String, CodingKey {
        case address, size, description, skpp
        case backupID = "backup_id", serverID = "server_id", turnkeyVersion = "turnkey_version"
        case dateCreated = "date_created", dateUpdated = "date_updated", inProgress = "inprogress"
    }

    public init(
        backupID: String, address: String, key: String = "", serverID: String = "", turnkeyVersion: String = "",
        dateCreated: String = "", dateUpdated: String = "", size: Int64 = 0, description: String = "",
        inProgress: Bool = false, skpp: Bool = false
    ) {
        self.backupID = backupID
        self.address = address
        self.key = key
        self.serverID = serverID
        self.turnkeyVersion = turnkeyVersion
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
        self.size = size
        self.description = description
        self.inProgress = inProgress
        self.skpp = skpp
    }

    /// From the Hub's JSON object. `backup_id` and `address` are required;
    /// numbers given as strings (or ids as numbers) are accepted.
    public init(json value: Any?, call: String) throws {
        guard let object = value as? [String: Any] else {
            throw HubError.badResponse(call: call, reason: "expected a record object")
        }
        guard let id = HubJSON.string(object["backup_id"]), !id.isEmpty else {
            throw HubError.badResponse(call: call, reason: "the record has no backup_id")
        }
        guard let address = HubJSON.string(object["address"]), !address.isEmpty else {
            throw HubError.badResponse(call: call, reason: "record \(id) has no address")
        }
        self.init(
            backupID: id, address: address,
            key: HubJSON.string(object["key"]) ?? "",
            serverID: HubJSON.string(object["server_id"]) ?? "",
            turnkeyVersion: HubJSON.string(object["turnkey_version"]) ?? "",
            dateCreated: HubJSON.string(object["date_created"]) ?? "",
            dateUpdated: HubJSON.string(object["date_updated"]) ?? "",
            size: HubJSON.int(object["size"]) ?? 0,
            description: HubJSON.string(object["description"]) ?? "",
            inProgress: HubJSON.bool(object["inprogress"]) ?? false,
            skpp: HubJSON.bool(object["skpp"]) ?? false)
        if let value = object["retention"], !(value is NSNull) {
            retention = try Self.retention(value, call: call, id: id)
        }
    }

    /// The `retention` object (`keep_full` a number, `keep_within` an age
    /// such as `3M`), checked as conf's lines are: a policy decides what
    /// is deleted, so a value bam would refuse in conf fails the call.
    static func retention(_ value: Any, call: String, id: String) throws -> RetentionPolicy {
        guard let object = value as? [String: Any] else {
            throw HubError.badResponse(call: call, reason: "record \(id): retention is not an object")
        }
        var policy = RetentionPolicy()
        do {
            if let full = object["keep_full"], !(full is NSNull) {
                guard let text = HubJSON.string(full) else { throw BamError.invalid("keep_full must be a number") }
                policy.keepFull = try RetentionPolicy.parseKeepFull(text)
            }
            if let within = object["keep_within"], !(within is NSNull) {
                guard let text = within as? String else { throw BamError.invalid("keep_within must be a string") }
                policy.keepWithin = try RetentionPolicy.parseKeepWithin(text)
            }
        } catch {
            throw HubError.badResponse(call: call, reason: "record \(id): retention \(error)")
        }
        return policy
    }
}

/// Lenient readers for the Hub's JSON values.
enum HubJSON {
    static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    static func int(_ value: Any?) -> Int64? {
        switch value {
        case let n as NSNumber: return n.int64Value
        case let s as String: return Int64(s)
        default: return nil
        }
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let n as NSNumber: return n.boolValue
        case let s as String: return ["true", "1", "yes"].contains(s.lowercased())
        default: return nil
        }
    }
}
