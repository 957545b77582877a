import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The registry directory (original: `/var/lib/tklbam`): the backup secret
/// and, later, the key packet, Hub credentials and profile. Mode 0700, every
/// file in it 0600, because the secret decrypts every backup.
public struct Registry {
    public let path: String

    public init(path: String) { self.path = path }

    /// `BAM_REGISTRY`, or `/var/lib/bam`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Registry {
        Registry(path: env["BAM_REGISTRY"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/lib/bam")
    }

    public var secretPath: String { path + "/secret" }

    public var isInitialised: Bool { Posix.fileExists(secretPath) }

    /// Creates the registry with a new secret. Refuses to replace an existing
    /// secret unless `force`: the old one is the only way into old backups.
    @discardableResult
    public func initialise(force: Bool) throws -> BackupSecret {
        if isInitialised && !force {
            throw BamError.registry(
                "\(path) is already initialised; re-initialising replaces the secret and makes existing backups unreadable (use --force to do it anyway)")
        }
        try Posix.makeDirectories(path, mode: 0o700)
        if chmod(path, 0o700) != 0 { throw BamError.io(path: path, operation: "chmod", errno: errno) }
        let secret = BackupSecret.generate()
        try Posix.writeFileAtomically(secretPath, Array(secret.value.utf8), mode: 0o600)
        return secret
    }

    /// The secret, checked for the registry's and the file's modes.
    public func loadSecret() throws -> BackupSecret {
        guard isInitialised else {
            throw BamError.registry("no backup secret in \(path): run 'bam init --solo' first (or set BAM_REGISTRY)")
        }
        let bytes = try Posix.readFile(secretPath)
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw BamError.corrupt(what: secretPath, reason: "empty secret") }
        return BackupSecret(value: text)
    }
}

/// The backup secret: the GnuPG passphrase of every volume. In the
/// original's format: Base64 without padding of SHA-1 over 32 random bytes,
/// 27 ASCII characters. It never changes for the life of a registry.
public struct BackupSecret: Equatable {
    public let value: String

    public init(value: String) { self.value = value }

    public static func generate() -> BackupSecret {
        var random = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in random.indices { random[i] = UInt8.random(in: 0...255, using: &rng) }
        let digest = Insecure.SHA1.hash(data: random)
        let text = Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return BackupSecret(value: text)
    }

    public var bytes: [UInt8] { Array(value.utf8) }
}
