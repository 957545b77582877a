import BamTestSupport
import Foundation
@testable import BamEngine

/// A real OpenSSH sshd on 127.0.0.1 (`SSHDLaunch`) and a registry holding
/// the key that logs in (`sftp/id_ed25519`) and, unless told, a known_hosts
/// file that knows the server (`sftp/known_hosts`).
final class SFTPTestTarget {
    let sshd: SSHDLaunch
    let tree: TestTree

    init(_ label: String, knowsHost: Bool = true, sshdConfig: String = "") throws {
        sshd = try SSHDLaunch(extraConfig: sshdConfig)
        tree = try TestTree(label)
        try Posix.makeDirectories(sftpDirectory, mode: 0o700)
        try Posix.makeDirectories(confDirectory, mode: 0o755)
        try Posix.writeFileAtomically(sftpDirectory + "/id_ed25519", try Posix.readFile(sshd.clientKey), mode: 0o600)
        if knowsHost { try Posix.writeFileAtomically(knownHosts, Array(sshd.knownHostsLine.utf8), mode: 0o600) }
    }

    deinit { sshd.stop() }

    var registry: String { tree.area("registry") }
    var sftpDirectory: String { registry + "/sftp" }
    var knownHosts: String { sftpDirectory + "/known_hosts" }
    var confDirectory: String { tree.area("conf") }

    func options(acceptHostKey: Bool = false) -> StorageOpenOptions {
        var options = StorageOpenOptions(registryPath: registry, environment: ["PATH": "/usr/bin:/bin"])
        options.confDirectory = confDirectory
        options.acceptHostKey = acceptHostKey
        return options
    }

    func backend(_ directory: String, acceptHostKey: Bool = false) throws -> StorageBackend {
        try StorageRegistry.open(address: sshd.address(directory), options: options(acceptHostKey: acceptHostKey))
    }

    /// `SHA256:...` of the server's host key, as ssh-keygen prints it.
    func hostFingerprint() throws -> String {
        let r = try runProcess("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", sshd.root + "/host_ed25519.pub"])
        return r.output.split(separator: " ").first { $0.hasPrefix("SHA256:") }.map(String.init) ?? "(none in \(r.output))"
    }
}
