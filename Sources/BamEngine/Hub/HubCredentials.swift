import Foundation

/// Storage credentials the Hub issues (`credentials/`): an IAM user's keys,
/// a role's temporary keys with a session token and an expiry, or `none`
/// for a region that needs no keys (file://). Saved as the registry's
/// `credentials` file (`key=value` lines, mode 0600), which the S3 backend
/// reads; `type` and `expiration` ride along so the next command knows
/// when to ask for fresh ones. Descriptions never show the secret parts.
public struct HubCredentials: Equatable, Sendable, CustomStringConvertible {
    public var type: String
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String
    /// As the Hub wrote it; empty when the keys do not expire.
    public var expiration: String
    /// The record they were issued for (the Hub scopes keys to its
    /// prefix); nil for keys to the whole account's storage.
    public var backupID: String?

    public init(type: String, accessKey: String = "", secretKey: String = "", sessionToken: String = "", expiration: String = "", backupID: String? = nil) {
        self.backupID = backupID
        self.type = type
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String { "Hub credentials (\(type)\(accessKey.isEmpty ? "" : ", access key \(accessKey)"))" }

    public init(json value: Any?, backupID: String?) throws {
        guard let object = value as? [String: Any], let type = HubJSON.string(object["type"]), !type.isEmpty else {
            throw HubError.badResponse(call: "GET credentials/", reason: "expected an object with a type")
        }
        self.init(
            type: type,
            accessKey: HubJSON.string(object["accesskey"]) ?? "",
            secretKey: HubJSON.string(object["secretkey"]) ?? "",
            sessionToken: HubJSON.string(object["sessiontoken"]) ?? "",
            expiration: HubJSON.string(object["expiration"]) ?? "", backupID: backupID)
        if type != "none" && (accessKey.isEmpty || secretKey.isEmpty) {
            throw HubError.badResponse(call: "GET credentials/", reason: "type \(type) without accesskey and secretkey")
        }
    }

    /// The expiry as a date; nil when there is none or it is not readable.
    public var expirationDate: Date? {
        let text = expiration.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return nil }
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        plain.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return plain.date(from: text)
    }

    /// Whether to ask the Hub for new ones: expired or expiring within
    /// `margin` seconds (a backup should not run out halfway), or an expiry
    /// that cannot be read.
    public func needsRefresh(now: Date = Date(), margin: TimeInterval = 600) -> Bool {
        if type == "none" { return false }
        if expiration.trimmingCharacters(in: .whitespaces).isEmpty { return false }
        guard let date = expirationDate else { return true }
        return date.timeIntervalSince(now) < margin
    }

    /// The `credentials` file text, in the format S3Credentials reads.
    public var fileText: String {
        var lines = ["type=\(type)"]
        if !accessKey.isEmpty { lines.append("accesskey=\(accessKey)") }
        if !secretKey.isEmpty { lines.append("secretkey=\(secretKey)") }
        if !sessionToken.isEmpty { lines.append("sessiontoken=\(sessionToken)") }
        if !expiration.isEmpty { lines.append("expiration=\(expiration)") }
        if let backupID { lines.append("backup_id=\(backupID)") }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func path(_ registry: Registry) -> String { registry.path + "/credentials" }

    public func save(in registry: Registry) throws {
        try Posix.makeDirectories(registry.path, mode: 0o700)
        try Posix.writeFileAtomically(Self.path(registry), Array(fileText.utf8), mode: 0o600)
    }

    /// The registry's `credentials` file as Hub credentials; nil when it does
    /// not exist. A hand-written file without `type=` reads as `iamuser`.
    public static func load(from registry: Registry) throws -> HubCredentials? {
        guard let values = try KeyValueLines.read(path(registry)) else { return nil }
        return HubCredentials(
            type: values["type"] ?? "iamuser", accessKey: values["accesskey"] ?? "",
            secretKey: values["secretkey"] ?? "", sessionToken: values["sessiontoken"] ?? "",
            expiration: values["expiration"] ?? "", backupID: values["backup_id"].flatMap { $0.isEmpty ? nil : $0 })
    }
}
