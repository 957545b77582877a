/// Opens the backend for an address by its scheme. Each backend parses the
/// rest of its own address.
public enum StorageRegistry {
    public static func open(address: String) throws -> StorageBackend {
        if address.hasPrefix("file://") { return try FileBackend(address: address) }
        if address.hasPrefix("s3://") || address.hasPrefix("s3+http://") { return try S3Backend(address: address) }
        throw StorageError.unsupported("unsupported storage address \(address) (expected file:///PATH)")
    }
}
