import Foundation
import SFTP
#if canImport(Glibc)
import Glibc
#endif

/// How bam logs in to an SFTP target, from the conf, the registry and the
/// environment, in that order:
/// - the private key: conf's `sftp-key-file`, else the registry's
///   `sftp/id_ed25519` (or `id_ecdsa`, `id_rsa`), else the ssh agent
///   (`SSH_AUTH_SOCK`); never a password;
/// - the host keys: conf's `sftp-known-hosts`, else the registry's
///   `sftp/known_hosts` (where `--accept-host-key` records a first-seen key);
/// - the user: the address's, else the user bam runs as.
public enum SFTPLogin {
    public static let registryDirectory = "sftp"
    public static let keyNames = ["id_ed25519", "id_ecdsa", "id_rsa"]
    public static let knownHostsName = "known_hosts"

    public static func endpoint(for location: SFTPAddress, address: String, options: StorageOpenOptions) throws -> SFTPEndpoint {
        let environment = options.environment ?? ProcessInfo.processInfo.environment
        let registry = options.registryPath.map { Registry(path: $0) } ?? Registry.fromEnvironment(environment)
        let confDirectory = options.confDirectory ?? environment["BAM_CONF"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/bam"
        let conf = try BamConf.load(confDirectory: confDirectory)
        let sftpDirectory = registry.path + "/" + registryDirectory

        var key = conf.sftpKeyFile
        if key == nil {
            key = keyNames.map { sftpDirectory + "/" + $0 }.first { Posix.fileExists($0) }
        }
        if let key, !Posix.fileExists(key) {
            throw StorageError.denied(address: address, reason: "the SSH key file \(key) (sftp-key-file in \(confDirectory)/conf) does not exist")
        }
        if key == nil && (environment["SSH_AUTH_SOCK"] ?? "").isEmpty {
            throw StorageError.denied(
                address: address,
                reason: "no SSH key to log in with: put a private key in \(sftpDirectory)/id_ed25519, "
                    + "name one with sftp-key-file in \(confDirectory)/conf, or run an ssh agent (SSH_AUTH_SOCK)")
        }
        let knownHosts = conf.sftpKnownHosts ?? sftpDirectory + "/" + knownHostsName
        return SFTPEndpoint(
            host: location.host, port: location.port, user: location.user ?? currentUser(),
            privateKeyFile: key, knownHostsFile: knownHosts, acceptNewHostKey: options.acceptHostKey)
    }

    static func currentUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "root"
    }
}
