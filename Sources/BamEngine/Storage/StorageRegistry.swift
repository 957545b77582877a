import Foundation

/// Opens the backend for an address by its scheme. Each backend parses the
/// rest of its own address.
public enum StorageRegistry {
    public static func open(address: String, options: StorageOpenOptions) throws -> StorageBackend {
        if address.hasPrefix("file://") { return try FileBackend(address: address) }
        if address.hasPrefix("s3://") || address.hasPrefix("s3+http://") {
            var s3 = options.s3
            if let region = options.region { s3.region = region }
            if let caFile = options.caFile { s3.caFile = caFile }
            // Parse first: a malformed address is reported as such, not as
            // missing credentials.
            _ = try S3Address(parsing: address, region: s3.region)
            let environment = options.environment ?? ProcessInfo.processInfo.environment
            let registry = options.registryPath.map { Registry(path: $0) } ?? Registry.fromEnvironment(environment)
            let credentials: S3Credentials
            do {
                credentials = try S3Credentials.load(environment: environment, registry: registry)
            } catch let error as BamError {
                throw StorageError.denied(address: address, reason: error.description)
            }
            return try S3Backend(address: address, credentials: credentials, options: s3)
        }
        if address.hasPrefix(SFTPAddress.scheme) {
            let location = try SFTPAddress(parsing: address)
            return try SFTPBackend(address: address, endpoint: SFTPLogin.endpoint(for: location, address: address, options: options))
        }
        if let backend = try openNetworkDrive(address: address, options: options) { return backend }
        throw StorageError.unsupported(
            "unsupported storage address \(address) (expected file:///PATH, s3://HOST/BUCKET/PREFIX, s3+http://HOST:PORT/BUCKET/PREFIX, sftp://[USER@]HOST[:PORT]/PATH, webdav[s]://[USER@]HOST[:PORT]/PATH or ftps://[USER@]HOST[:PORT]/PATH)"
        )
    }
}
