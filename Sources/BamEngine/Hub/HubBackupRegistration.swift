import Foundation

/// The registry's `hbr` file: this server's backup record as last seen —
/// `address`, `backup_id`, `updated` (`YYYY-MM-DD HH:MM:SS` UTC of the last
/// successful backup), `size`, `skpp` — one `key value` per line. It is
/// the cache that lets a backup go on to the same address, and `bam
/// status` answer, while the Hub is down. `RegistryBackupAddress` reads
/// its `address` line.
public struct HubBackupRegistration: Equatable, Sendable {
    public var address: String
    public var backupID: String?
    public var updated: String?
    public var size: Int64?
    public var skpp: Bool?

    public init(address: String, backupID: String? = nil, updated: String? = nil, size: Int64? = nil, skpp: Bool? = nil) {
        self.address = address
        self.backupID = backupID
        self.updated = updated
        self.size = size
        self.skpp = skpp
    }

    public init(record: HubRecord) {
        self.init(
            address: record.address, backupID: record.backupID,
            updated: record.dateUpdated.isEmpty ? nil : record.dateUpdated, size: record.size, skpp: record.skpp)
    }

    /// The registry's `hbr`; nil when there is none or it has no address.
    public static func load(_ registry: Registry) throws -> HubBackupRegistration? {
        // bam wrote `key value` lines before it wrote the original's `key=value`.
        guard let values = try KeyValueLines.read(RegistryBackupAddress.path(registry), separators: ["=", " ", "\t"]) else { return nil }
        guard let address = values["address"], !address.isEmpty else { return nil }
        return HubBackupRegistration(
            address: address, backupID: values["backup_id"].flatMap { $0.isEmpty ? nil : $0 },
            updated: values["updated"].flatMap { $0.isEmpty ? nil : $0 },
            size: values["size"].flatMap { Int64($0) },
            skpp: values["skpp"].map { $0.lowercased() == "true" })
    }

    public func save(in registry: Registry) throws {
        var lines = ["address=\(address)"]
        if let backupID { lines.append("backup_id=\(backupID)") }
        if let updated { lines.append("updated=\(updated)") }
        if let size { lines.append("size=\(size)") }
        if let skpp { lines.append("skpp=\(skpp)") }
        try Posix.makeDirectories(registry.path, mode: 0o700)
        try Posix.writeFileAtomically(RegistryBackupAddress.path(registry), Array((lines.joined(separator: "\n") + "\n").utf8), mode: 0o600)
    }

    /// Now, as the Hub writes dates (`YYYY-MM-DD HH:MM:SS`, UTC).
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: date)
    }
}
