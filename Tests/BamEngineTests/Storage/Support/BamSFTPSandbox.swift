import BamTestSupport
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `bam` against a directory of a real sshd (`SFTPTestTarget`):
/// a registry (with the login key and the known host), a cache, a conf
/// directory and a source under one temporary tree.
final class BamSFTPSandbox {
    let target: SFTPTestTarget
    let directory: String

    init(_ label: String, directory: String = "backups/host 1", knowsHost: Bool = true) throws {
        target = try SFTPTestTarget(label, knowsHost: knowsHost)
        self.directory = directory
    }

    var tree: TestTree { target.tree }
    var registry: Registry { Registry(path: target.registry) }
    var source: String { tree.area("source") }
    var cache: String { tree.area("cache") }
    var address: String { target.sshd.address(directory) }
    /// Where the server keeps the objects.
    var serverDirectory: String { target.sshd.dataPath(directory) }

    /// A backend on the same directory (for inspection).
    func direct() throws -> StorageBackend { try target.backend(directory) }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SSH_AUTH_SOCK"] = nil
        env["BAM_REGISTRY"] = target.registry
        env["BAM_CACHE"] = cache
        env["BAM_CONF"] = target.confDirectory
        return env
    }

    func process(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BamS3Sandbox.binary())
        process.arguments = arguments
        process.environment = environment()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, pipe)
    }

    @discardableResult
    func bam(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (process, pipe) = try self.process(arguments)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @discardableResult
    func bamOK(_ arguments: [String]) throws -> String {
        let r = try bam(arguments)
        guard r.status == 0 else {
            throw BamError.external("bam \(arguments.first ?? "") exited \(r.status): \(r.output)\nsshd log:\n\(target.sshd.logTail())")
        }
        return r.output
    }

    func initialise() throws { try bamOK(["init", "--solo"]) }

    /// The same source as the S3 sandbox makes.
    func makeSource(randomMiB: Int = 3, fileMiB: Int = 1, seed: UInt64 = 7) throws {
        try tree.file("source/etc/app.conf", "key = value\n")
        try tree.file("source/srv/dossier été/naïve file.txt", "bonjour\n")
        try tree.file("source/srv/with space/日本語.txt", "こんにちは\n")
        try tree.symlink(Array("source/srv/link".utf8), to: "with space")
        var state = seed
        for i in 0..<max(0, randomMiB / max(1, fileMiB)) {
            var bytes = [UInt8](repeating: 0, count: fileMiB << 20)
            bytes.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for j in words.indices {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    words[j] = state ^ (state >> 29)
                }
            }
            try tree.file(Array("source/data/blob \(i).bin".utf8), bytes)
        }
    }

    /// duplicity's address for the same directory, in the relative form
    /// (from the login's starting directory): bam's `address` is the
    /// absolute one, so the two agree on what each form means.
    var duplicityAddress: String { target.sshd.relativeAddress(directory) }

    /// Runs duplicity 0.8 on the same target: the key and known_hosts
    /// through `--ssh-options` (`-oIdentityFile=`, `-oUserKnownHostsFile=`),
    /// as its paramiko backend reads them.
    func duplicity(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let key = target.sftpDirectory + "/id_ed25519"
        return try runProcess(
            "/usr/bin/duplicity",
            arguments + [
                "--ssh-options", "-oIdentityFile=\(key) -oUserKnownHostsFile=\(target.knownHosts)",
                "--num-retries", "1", "--archive-dir", tree.area("dupcache"),
            ],
            environment: ["PASSPHRASE": try registry.loadSecret().value, "HOME": tree.root, "LANG": "C.UTF-8"].merging(environment) { $1 })
    }
}
