import BamEngine
import Foundation

/// Where a record's volumes live in its region, and a backend to reach them
/// with the region's own keys (to measure, list sessions and delete).
public struct RecordStorage {
    public let region: Region
    /// `bam/<account token>/<record token>`: no leading or trailing slash.
    public let prefix: String

    public init(region: Region, prefix: String) {
        self.region = region
        self.prefix = prefix
    }

    /// The bam address for the prefix: `file:///dir/bucket/prefix`,
    /// `s3://host/bucket/prefix` or `s3+http://host:port/bucket/prefix`.
    public var address: String {
        let endpoint = region.endpoint.hasSuffix("/") ? String(region.endpoint.dropLast()) : region.endpoint
        if endpoint.hasPrefix("file://") { return "\(endpoint)/\(region.bucket)/\(prefix)" }
        if endpoint.hasPrefix("https://") { return "s3://\(endpoint.dropFirst("https://".count))/\(region.bucket)/\(prefix)" }
        return "s3+http://\(endpoint.dropFirst("http://".count))/\(region.bucket)/\(prefix)"
    }

    /// Checks a region's endpoint when it is added.
    public static func validate(endpoint: String) throws {
        let ok = endpoint.hasPrefix("file:///") || endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")
        guard ok, !endpoint.contains("@") else {
            throw HubStoreError.invalid(
                "--endpoint \(endpoint): expected file:///DIR, https://HOST[:PORT] or http://HOST:PORT (keys go in --access-key/--secret-key)")
        }
    }

    public func backend() throws -> StorageBackend {
        if region.isFile { return try FileBackend(address: address) }
        guard let access = region.accessKey, let secret = region.secretKey else {
            throw HubStoreError.invalid("region \(region.name) has no access keys to read its storage")
        }
        return try S3Backend(address: address, credentials: S3Credentials(accessKey: access, secretKey: secret))
    }

    /// Every object under the prefix; nothing stored yet is an empty list.
    public func objects() throws -> [StoredObject] {
        if region.isFile {
            let dir = String(address.dropFirst("file://".count))
            if !FileManager.default.fileExists(atPath: dir) { return [] }
        }
        return try backend().list()
    }

    /// Deletes every object, holding the target's lock meanwhile: a backup
    /// still writing here is not cut short (the deletion is refused with
    /// 409 naming it), and none starts while the volumes go.
    public func delete() throws {
        let stored = try objects()
        if stored.isEmpty && region.isFile { _ = rmdir(String(address.dropFirst("file://".count))); return }
        let storage = try backend()
        let lock: TargetLock
        do {
            lock = try TargetLock.acquire(backend: storage, operation: "delete", program: "bam hub", warn: { _ in })
        } catch BamError.locked(let message) {
            throw HubAPIError(status: 409, name: "BackupRecord.Busy", detail: message)
        }
        do {
            for object in stored where !TargetLock.isLockObject(object.name) { try storage.delete(name: object.name) }
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        if region.isFile {
            // Leave no empty record directory behind.
            _ = rmdir(String(address.dropFirst("file://".count)))
        }
    }
}

/// One backup session of an archive, from its manifest's name.
public struct BackupSession: Equatable {
    public let time: Int64
    public let incremental: Bool
}

extension RecordStorage {
    /// The sessions in a listing: one per manifest, oldest first.
    public static func sessions(in objects: [StoredObject]) -> [BackupSession] {
        objects.compactMap { object -> BackupSession? in
            guard let name = BackupFileName.parse(object.name), name.kind == .manifest else { return nil }
            return BackupSession(time: name.end, incremental: name.incremental)
        }.sorted { $0.time < $1.time }
    }
}
