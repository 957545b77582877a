import BamEngine
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `bam passphrase` and `bam escrow`, run as the built binary against a
/// temporary registry, passphrases on stdin (`--noninteractive`).
@Suite struct KeyCommandTests {
    @Test func escrowFileIsPrivateAndOpensWithItsPassphrase() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()

        let file = sandbox.path + "/escrow.key"
        let run = try sandbox.bam(["escrow", "--noninteractive", file], stdin: "escrow passphrase\n")
        try run.expectSuccess()
        #expect(try sandbox.mode(file) == 0o600)
        let packet = String(decoding: try Posix.readFile(file), as: UTF8.self)
        #expect(try KeyPacket.format(of: packet) == .v2)
        #expect(try KeyPacket.isPassphraseProtected(packet))
        #expect(try KeyPacket.open(packet, passphrase: "escrow passphrase") == secret)
        #expect(run.stdout.contains(KeyPacket.fingerprint(of: secret)))
        sandbox.expectNoSecret(secret, in: run)

        // An existing file is not replaced without --force.
        let again = try sandbox.bam(["escrow", "--no-passphrase", file])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(String(decoding: try Posix.readFile(file), as: UTF8.self) == packet)
    }

    @Test func escrowWithoutPassphraseToStandardOutput() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()

        let run = try sandbox.bam(["escrow", "--no-passphrase", "--key-format", "v1", "-"])
        try run.expectSuccess()
        let packet = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!packet.contains("\n"), "stdout should hold the key alone")
        #expect(try KeyPacket.format(of: packet) == .v1)
        #expect(try !KeyPacket.isPassphraseProtected(packet))
        #expect(try KeyPacket.open(packet, passphrase: "") == secret)
    }

    @Test func escrowWithRandomPassphrase() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()

        let file = sandbox.path + "/random.key"
        let run = try sandbox.bam(["escrow", "--random-passphrase", "--key-format", "v1", "--json", file])
        try run.expectSuccess()
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let passphrase = try #require(summary["passphrase"] as? String)
        #expect(try sandbox.mode(file) == 0o600)
        let packet = String(decoding: try Posix.readFile(file), as: UTF8.self)
        #expect(try KeyPacket.open(packet, passphrase: passphrase) == secret)
    }

    @Test func passphraseChangeKeepsTheSecret() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()
        #expect(try sandbox.mode(sandbox.registry.path) == 0o700)
        #expect(try sandbox.mode(sandbox.registry.secretPath) == 0o600)

        let first = try sandbox.bam(["passphrase", "--noninteractive"], stdin: "first passphrase\n")
        try first.expectSuccess()
        let firstKey = try sandbox.registry.loadKey()
        #expect(try sandbox.mode(sandbox.registry.keyPath) == 0o600)
        #expect(try KeyPacket.open(firstKey, passphrase: "first passphrase") == secret)

        let second = try sandbox.bam(["passphrase", "--noninteractive", "--key-format", "v1"], stdin: "second passphrase\n")
        try second.expectSuccess()
        let secondKey = try sandbox.registry.loadKey()
        #expect(secondKey != firstKey)
        #expect(try sandbox.mode(sandbox.registry.keyPath) == 0o600)
        #expect(try KeyPacket.open(secondKey, passphrase: "second passphrase") == secret)
        #expect(throws: BamError.self) { try KeyPacket.open(secondKey, passphrase: "first passphrase") }
        #expect(try sandbox.registry.loadSecret() == secret)
        for run in [first, second] { sandbox.expectNoSecret(secret, in: run) }
    }

    @Test func emptyPassphraseNeedsConfirmation() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()
        let keyFromInit = try sandbox.registry.loadKey()

        let refused = try sandbox.bam(["passphrase", "--noninteractive"], stdin: "\n")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        #expect(try sandbox.registry.loadKey() == keyFromInit, "a refused change leaves the key as it was")

        try sandbox.bam(["passphrase", "--noninteractive", "--force"], stdin: "\n").expectSuccess()
        let key = try sandbox.registry.loadKey()
        #expect(try !KeyPacket.isPassphraseProtected(key))
        #expect(try KeyPacket.open(key, passphrase: "") == secret)
    }

    @Test func randomPassphraseIsPrintedAndWorks() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let secret = try sandbox.registry.loadSecret()

        let run = try sandbox.bam(["passphrase", "--random", "--key-format", "v1"])
        try run.expectSuccess()
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("random passphrase: ") })
        let passphrase = String(line.dropFirst("random passphrase: ".count))
        #expect(try KeyPacket.open(sandbox.registry.loadKey(), passphrase: passphrase) == secret)
    }

    @Test func missingStandardInputIsExplained() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.bam(["init", "--solo"]).expectSuccess()
        let run = try sandbox.bam(["escrow", "--noninteractive", sandbox.path + "/k"], stdin: "")
        #expect(run.status == 1)
        #expect(run.stderr.contains("standard input"))
        #expect(!Posix.fileExists(sandbox.path + "/k"))
    }
}

/// A temporary directory holding a registry, and the built `bam` run in it.
private struct Sandbox {
    let path: String
    var registry: Registry { Registry(path: path + "/registry") }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String

        func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) throws {
            try #require(status == 0, "bam exited \(status): \(stderr)", sourceLocation: sourceLocation)
        }
    }

    init() throws {
        path = try Posix.makeTemporaryDirectory(prefix: "bam-key-cli-")
    }

    func remove() { try? Posix.removeTree(Array(path.utf8)) }

    func mode(_ file: String) throws -> mode_t { try Posix.lstat(Array(file.utf8)).st_mode & 0o7777 }

    func expectNoSecret(_ secret: BackupSecret, in run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!run.stdout.contains(secret.value) && !run.stderr.contains(secret.value), "the secret appeared in bam's output", sourceLocation: sourceLocation)
    }

    /// Runs bam with `BAM_REGISTRY` pointing into the sandbox and `stdin`
    /// as its standard input (empty: end of input at once).
    func bam(_ arguments: [String], stdin: String = "") throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["BAM_REGISTRY"] = registry.path
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: path)
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    static func binary() throws -> String { try CLISandbox.binary() }
}
