import BamTestSupport
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A real `bam-hub` on SQLite with one account and one storage region —
/// a moto S3 server (its STS hands out the temporary keys), an `rclone
/// serve s3` (the region's own keys: it has no STS) or a directory — all
/// under `directory`.
final class HubTestWorld {
    let directory: String
    let database: String
    private(set) var hub: TestServerProcess?
    private(set) var moto: TestServerProcess?
    private(set) var rclone: RcloneLaunch?
    let email = "owner@example.com"
    private(set) var apiKey = ""

    var url: String { "http://127.0.0.1:\(hub?.port ?? 0)" }

    enum Storage { case moto, rclone, directory(String) }

    /// The port of the region's S3 server, 0 for a directory.
    var s3Port: Int { moto?.port ?? rclone?.port ?? 0 }

    init(directory: String, storage: Storage) throws {
        self.directory = directory
        database = "sqlite:" + directory + "/hub.sqlite"
        try Posix.makeDirectories(directory, mode: 0o700)
        let account = try hubAdmin(["account", "add", email, "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(account.utf8)) as? [String: Any],
            let key = object["apikey"] as? String, !key.isEmpty
        else {
            throw BamError.external("bam-hub account add printed no apikey: \(account)")
        }
        apiKey = key
        switch storage {
        case .moto:
            guard TestServerProcess.which("moto_server") != nil else {
                throw BamError.missing(what: "moto_server (pip install 'moto[server]'; scripts/install-deps.sh does it)")
            }
            let port = try TestServerProcess.freePort()
            moto = try TestServerProcess(
                name: "moto S3 server", argv: ["moto_server", "-H", "127.0.0.1", "-p", String(port)],
                port: port, logPath: directory + "/moto.log")
            try Self.curl(["-X", "PUT", "http://127.0.0.1:\(port)/bam-hub-e2e"])
            try hubAdmin(
                [
                    "region", "add", "local-s3", "--endpoint", "http://127.0.0.1:\(port)", "--bucket", "bam-hub-e2e",
                    "--lat", "50", "--lon", "8", "--access-key", "AKIAHUBREGIONKEY",
                    "--sts-role", "arn:aws:iam::123456789012:role/bam-backups", "--secret-key-stdin", "--default",
                ],
                stdin: "hub-region-secret\n")
        case .rclone:
            let server = try RcloneLaunch()
            rclone = server
            // rclone serves each top-level directory as a bucket.
            try Posix.makeDirectories(server.root + "/bam-hub-e2e", mode: 0o700)
            try hubAdmin(
                [
                    "region", "add", "local-s3", "--endpoint", "http://\(server.hostPort)", "--bucket", "bam-hub-e2e",
                    "--lat", "50", "--lon", "8", "--access-key", server.accessKey, "--secret-key-stdin", "--default",
                ],
                stdin: server.secretKey + "\n")
        case let .directory(path):
            try Posix.makeDirectories(path, mode: 0o700)
            try hubAdmin([
                "region", "add", "local-dir", "--endpoint", "file://" + path, "--bucket", "backups",
                "--lat", "50", "--lon", "8", "--default",
            ])
        }
        try startHub()
    }

    deinit {
        stopHub()
        moto?.stop()
        if let rclone {
            rclone.stop()
            try? FileManager.default.removeItem(atPath: rclone.root)
        }
    }

    func startHub() throws {
        let port = try TestServerProcess.freePort()
        hub = try TestServerProcess(
            name: "bam-hub",
            argv: [
                try Self.hubBinary(), "serve", "--listen", "127.0.0.1:\(port)",
                "--database", database, "--templates", Self.packageDirectory + "/templates/hub",
            ],
            port: port, logPath: directory + "/hub.log")
    }

    func stopHub() { hub?.stop() }

    /// Imports a profile directory into the Hub under `id`.
    func importProfile(_ path: String, id: String) throws {
        try hubAdmin(["profile", "import", path, "--id", id])
    }

    @discardableResult
    func hubAdmin(_ arguments: [String], stdin: String = "") throws -> String {
        let run = try Child.run(try Self.hubBinary(), arguments + ["--database", database], stdin: stdin)
        guard run.status == 0 else {
            throw BamError.external("bam-hub \(arguments.first ?? "") failed (\(run.status)): \(run.stderr)")
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func curl(_ arguments: [String]) throws {
        let outcome = try ProcessRunner.run(["/usr/bin/curl", "-sS", "--fail"] + arguments)
        guard outcome.status == 0 else { throw BamError.external("curl \(arguments.joined(separator: " ")): \(outcome.output)") }
    }

    static var packageDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// `BAM_HUB_BIN`, else the `bam-hub` built beside `bam`.
    static func hubBinary() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["BAM_HUB_BIN"], !explicit.isEmpty { return explicit }
        let beside = URL(fileURLWithPath: try CLISandbox.binary()).deletingLastPathComponent().appendingPathComponent("bam-hub").path
        guard FileManager.default.isExecutableFile(atPath: beside) else {
            throw BamError.missing(what: "the bam-hub binary at \(beside) (run 'swift build' or set BAM_HUB_BIN)")
        }
        return beside
    }
}
