import Foundation

/// The registry's own backup target: the `address` of its `hbr` file
/// (`HubBackupRegistration` reads and writes the file).
public enum RegistryBackupAddress {
    public static func path(_ registry: Registry) -> String { registry.path + "/hbr" }

    public static func load(_ registry: Registry) throws -> String {
        let file = path(registry)
        guard Posix.fileExists(file) else {
            throw BamError.invalid("no backup address: \(file) does not exist (give --address URL, or restore from an extract directory)")
        }
        if let registration = try HubBackupRegistration.load(registry) { return registration.address }
        throw BamError.invalid("\(file) has no address= line (give --address URL)")
    }

    /// Records `address` as the registry's backup target.
    public static func save(_ address: String, in registry: Registry) throws {
        try HubBackupRegistration(address: address).save(in: registry)
    }
}
