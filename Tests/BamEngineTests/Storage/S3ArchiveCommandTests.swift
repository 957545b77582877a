import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `bam backup/restore/verify` against real S3 servers (moto and, for the
/// tests taking a kind, `rclone serve s3`; signatures checked) on
/// 127.0.0.1: round trips, credentials, preflight, faults.
@Suite(.serialized, .needs(.s3, .duplicity)) struct S3ArchiveCommandTests {
    private func differences(_ a: String, _ b: String) throws -> [String] {
        try TreeComparer(expected: a, actual: b).differences()
    }

    /// Keys with spaces and unicode in the prefix and the file names; the
    /// credentials come from the registry's `credentials` file.
    @Test(arguments: S3ServerKind.allCases) func roundTripWithCredentialsFileAndUnicodePrefix(_ kind: S3ServerKind) throws {
        let box = try BamS3Sandbox("s3-cli", prefix: "backups/hôte n°1/日本 dir", on: kind)
        try box.initialise()
        try box.writeCredentialsFile()
        box.environmentCredentials = nil
        try box.makeSource(randomMiB: 3)

        // --s3-parallel-uploads and --s3-region are options of every command
        // that opens a target.
        try box.bamOK([
            "backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1",
            "--s3-parallel-uploads", "3", "--s3-region", "us-east-1",
        ])
        try box.tree.file("source/etc/app.conf", "key = changed value\n")
        try box.tree.file("source/etc/new.conf", "new\n")
        let inc = try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1", "--json"])
        #expect(inc.contains("\"incremental\""), "\(inc)")

        let names = try box.direct().list().map(\.name)
        #expect(names.contains { $0.hasPrefix("duplicity-full.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("duplicity-inc.") && $0.hasSuffix(".manifest.gpg") }, "\(names)")
        #expect(names.filter { $0.hasPrefix("duplicity-full.") && $0.contains(".vol") }.count >= 3, "\(names)")

        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address, "--s3-parallel-uploads", "2"])
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
        try box.bamOK(["verify", "--address", box.address, "--compare", box.source])
        #expect(try box.direct().unfinishedUploads().isEmpty)
    }

    @Test func wrongSecretKeyIsAnAuthenticationError() throws {
        let box = try BamS3Sandbox("s3-badkey")
        try box.initialise()
        try box.makeSource(randomMiB: 0)
        let secret = "wrongSecretKeyThatMustNotLeak0123456789"
        box.environmentCredentials = S3Credentials(accessKey: box.server.credentials.accessKey, secretKey: secret)
        let r = try box.bam(["backup", "--raw-upload", box.source, "--address", box.address])
        #expect(r.status != 0)
        #expect(r.output.contains("secret key is wrong") || r.output.contains("SignatureDoesNotMatch"), "\(r.output)")
        #expect(r.output.contains("backup not started"), "\(r.output)")
        #expect(!r.output.contains(secret))
        #expect(try box.direct().list().isEmpty, "nothing stored")

        let restore = try box.bam(["restore", "--raw-download", box.tree.area("out"), "--address", box.address])
        #expect(restore.status != 0)
        #expect(restore.output.contains("SignatureDoesNotMatch") || restore.output.contains("secret key is wrong"), "\(restore.output)")
    }

    @Test func unreachableOrMissingTargetFailsFastBeforeAnyWork() throws {
        let box = try BamS3Sandbox("s3-preflight")
        try box.initialise()
        try box.makeSource(randomMiB: 1)
        // Nothing listens on this port.
        box.port = try TestServerProcess.freePort()
        let started = Date()
        let r = try box.bam(["backup", "--raw-upload", box.source, "--address", box.address])
        #expect(r.status != 0)
        #expect(r.output.contains("not reachable") && r.output.contains("127.0.0.1:\(box.port)"), "\(r.output)")
        #expect(Date().timeIntervalSince(started) < 30, "fails fast")
        // Nothing was built: no scratch space left, no resume record.
        let cached = (try? FileManager.default.subpathsOfDirectory(atPath: box.cache)) ?? []
        #expect(!cached.contains { $0.hasSuffix(".difftar.gpg") || $0.hasSuffix(BackupResumeJournal.fileName) }, "\(cached)")

        box.port = box.server.port
        let missing = "s3+http://127.0.0.1:\(box.server.port)/no-such-bucket-\(UInt32.random(in: 0...UInt32.max))/p"
        let m = try box.bam(["backup", "--raw-upload", box.source, "--address", missing])
        #expect(m.status != 0)
        #expect(m.output.contains("not found") && m.output.contains("no-such-bucket"), "\(m.output)")

        box.environmentCredentials = nil
        let n = try box.bam(["backup", "--raw-upload", box.source, "--address", box.address])
        #expect(n.status != 0)
        #expect(n.output.contains("no S3 credentials"), "\(n.output)")
    }

    /// Through a proxy that drops, fails, loses, truncates and stalls
    /// requests, a backup and its restore still complete identically.
    @Test func backupAndRestoreThroughFaults() throws {
        let box = try BamS3Sandbox("s3-faults")
        try box.initialise()
        try box.makeSource(randomMiB: 4)
        let proxy = try FaultProxy(
            upstreamPort: box.server.port,
            plan: ["ok", "ok", "drop", "ok", "500", "ok", "503", "ok", "lost", "ok", "truncate", "ok", "ok", "stall", "ok", "ok", "ok"],
            stallSeconds: 3)
        defer { proxy.stop() }
        box.port = proxy.port
        // Retries must outlast a stall: the default stall timeout is 60 s,
        // so the proxy's 3 s stall ends in a closed connection, retried.
        try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"])
        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
        let actions = Set(proxy.journal.map { String($0.split(separator: " ")[1]) })
        for fault in ["drop", "500", "503", "lost", "truncate", "stall"] { #expect(actions.contains(fault), "injected \(fault)") }
        #expect(try box.direct().unfinishedUploads().isEmpty)
    }

    /// Real duplicity (boto3 backend) restores what bam stored on S3.
    @Test(arguments: S3ServerKind.allCases) func duplicityRestoresBamS3Backup(_ kind: S3ServerKind) throws {
        let box = try BamS3Sandbox("s3-dup", prefix: "dup prefix/été", on: kind)
        try box.initialise()
        try box.makeSource(randomMiB: 2)
        try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"])
        try box.tree.file("source/etc/app.conf", "key = second value\n")
        try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "1"])

        let out = box.tree.area("dup-restored")
        let r = try runProcess(
            "/usr/bin/duplicity",
            [
                "restore", "--s3-endpoint-url", "http://127.0.0.1:\(box.server.port)", "--s3-region-name", "us-east-1",
                "--num-retries", "1", "--archive-dir", box.tree.area("dupcache"),
                "boto3+s3://\(box.bucket)/\(box.prefix)", out,
            ],
            environment: [
                "AWS_ACCESS_KEY_ID": box.server.credentials.accessKey, "AWS_SECRET_ACCESS_KEY": box.server.credentials.secretKey,
                "PASSPHRASE": try box.registry.loadSecret().value, "HOME": box.tree.root, "LANG": "C.UTF-8",
            ])
        #expect(r.status == 0, "\(r.output)")
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
    }

    /// bam restores a chain that real duplicity (boto3 backend) stored on
    /// S3: the other direction of the format oracle, on both servers.
    @Test(arguments: S3ServerKind.allCases) func bamRestoresDuplicityS3Backup(_ kind: S3ServerKind) throws {
        let box = try BamS3Sandbox("s3-dup-in", prefix: "dup in/été", on: kind)
        try box.initialise()
        try box.makeSource(randomMiB: 2)
        let passphrase = try box.registry.loadSecret().value
        func duplicity(_ arguments: [String]) throws {
            let r = try runProcess(
                "/usr/bin/duplicity",
                arguments + [
                    "--s3-endpoint-url", "http://127.0.0.1:\(box.server.port)", "--s3-region-name", "us-east-1",
                    "--num-retries", "1", "--volsize", "1", "--archive-dir", box.tree.area("dupcache"),
                    box.source, "boto3+s3://\(box.bucket)/\(box.prefix)",
                ],
                environment: [
                    "AWS_ACCESS_KEY_ID": box.server.credentials.accessKey, "AWS_SECRET_ACCESS_KEY": box.server.credentials.secretKey,
                    "PASSPHRASE": passphrase, "HOME": box.tree.root, "LANG": "C.UTF-8",
                ])
            #expect(r.status == 0, "duplicity \(arguments.first ?? ""): \(r.output)")
        }
        try duplicity(["full"])
        sleep(1)
        try box.tree.file("source/etc/app.conf", "key = changed by the incremental\n")
        try duplicity(["incremental"])

        let out = box.tree.area("bam-restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try differences(box.source, out)
        #expect(d.isEmpty, "\(d.prefix(10))")
    }
}
