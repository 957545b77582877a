import BamTestSupport
import Crypto
import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway world for running the built `bam`: registry, cache, target,
/// source, all under one temporary directory removed at the end.
final class CLISandbox {
    let root: String
    var registry: Registry { Registry(path: root + "/registry") }
    var target: String { root + "/target" }
    var address: String { "file://" + target }
    var source: String { root + "/source" }

    init(_ label: String) throws {
        let base = ProcessInfo.processInfo.environment["BAM_TEST_TMP"] ?? NSTemporaryDirectory()
        root = try Posix.makeTemporaryDirectory(in: base, prefix: "bam-cli-\(label)-")
    }

    deinit { try? Posix.removeTree(Array(root.utf8)) }

    func path(_ name: String) -> String { root + "/" + name }

    typealias Run = ChildRun

    /// Runs bam with this sandbox's registry and cache in its environment.
    func bam(_ arguments: [String], stdin: String = "") throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["BAM_REGISTRY"] = registry.path
        env["BAM_CACHE"] = root + "/cache"
        return try Child.run(try CLISandbox.binary(), arguments, stdin: stdin, environment: env)
    }

    func initialise() throws {
        let r = try bam(["init", "--solo"])
        guard r.status == 0 else { throw BamError.external("bam init failed: \(r.stderr)") }
    }

    /// A small tree with enough data for several 1 MiB volumes.
    func makeSource() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: source + "/etc", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: source + "/data", withIntermediateDirectories: true)
        try "key = value\n".write(toFile: source + "/etc/app.conf", atomically: false, encoding: .utf8)
        var state: UInt64 = 42
        for i in 0..<3 {
            var bytes = [UInt8](repeating: 0, count: 900_000)
            for j in bytes.indices { state = state &* 6364136223846793005 &+ 1442695040888963407; bytes[j] = UInt8(truncatingIfNeeded: state >> 33) }
            try Data(bytes).write(to: URL(fileURLWithPath: source + "/data/blob\(i).bin"))
        }
    }

    /// Stores a hand-made full set whose only volume is `volume` (a plain
    /// tar), encrypted with the registry's secret by the real gpg, with a
    /// manifest carrying its true hash: only the content is hostile.
    func storeCraftedFullSet(volume: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let stamp = BackupTime.format(1_700_000_000)
        let volumeName = "duplicity-full.\(stamp).vol1.difftar.gpg"
        let encrypted = try gpgEncrypt(volume)
        try Posix.writeFileAtomically(target + "/" + volumeName, encrypted, mode: 0o600)
        var manifest = Manifest(hostname: "crafted", localDirectory: Array("/".utf8))
        let sha1 = Insecure.SHA1.hash(data: encrypted).map { String(format: "%02x", $0) }.joined()
        manifest.volumes = [VolumeInfo(number: 1, startPath: [], startBlock: nil, endPath: [], endBlock: nil, sha1: sha1)]
        try Posix.writeFileAtomically(target + "/duplicity-full.\(stamp).manifest.gpg", try gpgEncrypt(manifest.render()), mode: 0o600)
        try Posix.writeFileAtomically(target + "/duplicity-full-signatures.\(stamp).sigtar.gpg", try gpgEncrypt([UInt8](repeating: 0, count: 10_240)), mode: 0o600)
    }

    /// gpg symmetric encryption with the secret on a pipe (never in argv).
    func gpgEncrypt(_ plain: [UInt8]) throws -> [UInt8] {
        let home = try Posix.makeTemporaryDirectory(in: root, prefix: "gnupg-")
        let input = path("gpg-in"), output = path("gpg-out")
        try Posix.writeFileAtomically(input, plain, mode: 0o600)
        unlink(output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gpg")
        process.arguments = ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                             "--symmetric", "--cipher-algo", "AES256", "-o", output, input]
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        pipe.fileHandleForWriting.write(Data((try registry.loadSecret().value + "\n").utf8))
        try? pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        _ = try? runGpgconfKill(home)
        guard process.terminationStatus == 0 else { throw BamError.external("gpg failed") }
        return try Posix.readFile(output)
    }

    private func runGpgconfKill(_ home: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/gpgconf")
        p.arguments = ["--homedir", home, "--kill", "gpg-agent"]
        try p.run()
        p.waitUntilExit()
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    static func json(_ text: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BamError.invalid("not a JSON object: \(line)")
        }
        return object
    }

    /// `BAM_BIN`, else the `bam` built beside the test executable, else
    /// `<package>/.build/debug/bam`.
    static func binary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["BAM_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        for executable in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("bam").path)
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug/bam").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BamError.missing(what: "the bam binary (looked at \(candidates.joined(separator: ", ")); run 'swift build' or set BAM_BIN")
        }
        return found
    }
}
