import Foundation

/// The registry's own backup target: the `address` of its `hbr` file
/// (`key value` or `key=value` lines; the Hub fills it in a later issue).
public enum RegistryBackupAddress {
    public static func path(_ registry: Registry) -> String { registry.path + "/hbr" }

    public static func load(_ registry: Registry) throws -> String {
        let file = path(registry)
        guard Posix.fileExists(file) else {
            throw BamError.invalid("no backup address: \(file) does not exist (give --address URL, or restore from an extract directory)")
        }
        for line in String(decoding: try Posix.readFile(file), as: UTF8.self).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("address") else { continue }
            let value = text.dropFirst("address".count).drop(while: { $0 == " " || $0 == "=" || $0 == "\t" })
            if !value.isEmpty { return String(value) }
        }
        throw BamError.invalid("\(file) has no 'address' line (give --address URL)")
    }

    /// Records `address` as the registry's backup target.
    public static func save(_ address: String, in registry: Registry) throws {
        try Posix.makeDirectories(registry.path, mode: 0o700)
        try Posix.writeFileAtomically(path(registry), Array("address \(address)\n".utf8), mode: 0o600)
    }
}
