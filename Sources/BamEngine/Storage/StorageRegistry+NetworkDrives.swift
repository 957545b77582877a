import Foundation
import HTTP

/// File servers as targets: `webdav://`, `webdavs://` and `ftps://`, their
/// logins from the environment or the registry's `credentials` file.
extension StorageRegistry {
    /// Nil when the address is none of these schemes.
    static func openNetworkDrive(address: String, options: StorageOpenOptions) throws -> StorageBackend? {
        let kind: String
        let schemes: [String]
        if address.hasPrefix("webdav://") || address.hasPrefix("webdavs://") {
            (kind, schemes) = ("webdav", ["webdav", "webdavs"])
        } else if address.hasPrefix("ftps://") {
            (kind, schemes) = ("ftp", ["ftps"])
        } else {
            return nil
        }
        // Parse first: a malformed address is reported as such, not as a
        // missing password.
        let location = try ServerPathAddress(parsing: address, schemes: schemes)
        let environment = options.environment ?? ProcessInfo.processInfo.environment
        let registry = options.registryPath.map { Registry(path: $0) } ?? Registry.fromEnvironment(environment)
        let login: HTTPCredentials?
        do {
            login = (try ServerLogin.load(kind: kind, addressUser: location.user, environment: environment, registry: registry))
        } catch let error as BamError {
            throw StorageError.denied(address: address, reason: error.description)
        }
        if kind == "webdav" { return try WebDAVBackend(address: address, credentials: login, caFile: options.caFile) }
        return try FTPSBackend(address: address, credentials: login, caFile: options.caFile)
    }
}
