import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Secrets never reach argv, a child's environment, output or files other
/// than the registry's; an escrow key alone restores a backup.
@Suite("Secrets and escrow keys", .serialized)
struct SecretExposureTests {
    /// Runs bam and, while it runs, snapshots the command line and
    /// environment of every process on the machine.
    func runSampling(_ s: CLISandbox, _ arguments: [String], stdin: String = "") throws -> (CLISandbox.Run, [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLISandbox.binary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["BAM_REGISTRY"] = s.registry.path
        env["BAM_CACHE"] = s.path("cache")
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        final class Collected { var data = Data() }
        let outData = Collected(), errData = Collected()
        let reader = Thread { outData.data = out.fileHandleForReading.readDataToEndOfFile() }
        let errReader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        try process.run()
        reader.start(); errReader.start()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
        var snapshots: [String] = []
        let me = getpid()
        while process.isRunning {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry), pid != me else { continue }
                for file in ["cmdline", "environ"] {
                    if let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)"), !data.isEmpty {
                        snapshots.append(String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
                    }
                }
            }
            usleep(2000)
        }
        process.waitUntilExit()
        while reader.isExecuting || errReader.isExecuting || !reader.isFinished || !errReader.isFinished { usleep(1000) }
        return (
            CLISandbox.Run(
                status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                stderr: String(decoding: errData.data, as: UTF8.self)), snapshots
        )
    }

    /// Every regular file under `dir` that contains `needle`.
    func filesContaining(_ needle: String, under dir: String, except: Set<String>) -> [String] {
        var hits: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        while let rel = walker.nextObject() as? String {
            let p = dir + "/" + rel
            if except.contains(p) { continue }
            var st = stat()
            guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
                let data = FileManager.default.contents(atPath: p)
            else { continue }
            if data.range(of: Data(needle.utf8)) != nil { hits.append(p) }
        }
        return hits
    }

    @Test("the secret and passphrases appear in no argv, child environment, output or stray file")
    func noExposure() throws {
        let s = try CLISandbox("secrets")
        try s.initialise()
        try s.makeSource()
        let secret = try s.registry.loadSecret().value
        let escrowPassphrase = "escrow passphrase 9f2c"

        var runs: [(CLISandbox.Run, [String])] = []
        runs.append(try runSampling(s, ["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1"]))
        runs.append(try runSampling(s, ["escrow", "--noninteractive", s.path("escrow.key")], stdin: escrowPassphrase + "\n"))
        runs.append(try runSampling(s, ["restore", "--raw-download", s.path("out"), "--address", s.address]))
        runs.append(
            try runSampling(
                s,
                [
                    "restore", "--raw-download", s.path("out2"), "--address", s.address,
                    "--keyfile", s.path("escrow.key"), "--noninteractive",
                ], stdin: escrowPassphrase + "\n"))
        for (run, snapshots) in runs {
            #expect(run.status == 0, "\(run.stderr)")
            #expect(snapshots.count > 10, "the sampler must have seen the processes")
            for needle in [secret, escrowPassphrase] {
                #expect(!run.stdout.contains(needle) && !run.stderr.contains(needle), "printed a secret")
                #expect(!snapshots.contains { $0.contains(needle) }, "a secret was in some process's argv or environment")
            }
        }
        // Only the registry's secret file holds the secret; nothing else under
        // the sandbox (cache, target, restored trees, GnuPG homes) does.
        let hits = filesContaining(secret, under: s.root, except: [s.registry.secretPath])
        #expect(hits.isEmpty, "\(hits)")
        #expect(CLISandbox.mode(s.path("escrow.key")) == 0o600)
    }

    @Test("an escrow key and its passphrase alone restore a backup; a wrong passphrase exits 11")
    func escrowOnlyRestore() throws {
        let s = try CLISandbox("escrow")
        try s.initialise()
        try s.makeSource()
        #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address]).status == 0)
        let key = s.path("escrow.key")
        #expect(try s.bam(["escrow", "--noninteractive", key], stdin: "correct horse\n").status == 0)
        // The registry is gone: only the key file and its passphrase remain.
        try Posix.removeTree(Array(s.registry.path.utf8))
        try Posix.removeTree(Array(s.path("cache").utf8))

        let wrong = try s.bam(
            [
                "restore", "--raw-download", s.path("wrong"), "--address", s.address,
                "--keyfile", key, "--noninteractive",
            ], stdin: "battery staple\n")
        #expect(wrong.status == 11, "\(wrong.stderr)")
        let good = try s.bam(
            [
                "restore", "--raw-download", s.path("out"), "--address", s.address,
                "--keyfile", key, "--noninteractive",
            ], stdin: "correct horse\n")
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try TreeComparer(expected: s.source, actual: s.path("out")).differences().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.registry.path), "the restore needed no registry")
    }
}
