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

    /// This process's environment with the sandbox's registry and cache.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["BAM_REGISTRY"] = registry.path
        env["BAM_CACHE"] = root + "/cache"
        return env
    }

    /// Runs bam with this sandbox's registry and cache in its environment.
    /// With `timeout` (seconds), a run that hangs is killed and exits 124.
    func bam(_ arguments: [String], stdin: String = "", timeout: Int? = nil) throws -> Run {
        guard let timeout else { return try Child.run(try CLISandbox.binary(), arguments, stdin: stdin, environment: environment) }
        return try Child.run("/usr/bin/timeout", ["-k", "5", "\(timeout)", try CLISandbox.binary()] + arguments, stdin: stdin, environment: environment)
    }

    /// Starts bam without waiting for it, its output going to the file
    /// `log`: for tests that act on the target while it runs.
    func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLISandbox.binary())
        process.arguments = arguments
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try output.close()
        return process
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
    /// `signatures` is the signature archive (a plain tar), empty by default.
    func storeCraftedFullSet(volume: [UInt8], signatures: [UInt8] = CLISandbox.tarEnd) throws {
        try storeCraftedSet(volumes: [volume], signatures: signatures)
    }

    /// The end time of the crafted full set; incrementals follow it.
    static let craftedFullTime: Int64 = 1_700_000_000

    /// Stores a hand-made set of `volumes` (plain tars, or with
    /// `gpgArguments` such as `--no-literal` any OpenPGP message): a full
    /// set, or with `incremental` the incremental that ends that many
    /// seconds after the previous one (`after`, default the full set).
    func storeCraftedSet(
        volumes: [[UInt8]], incremental: Int64? = nil, after: Int64 = craftedFullTime,
        gpgArguments: [String] = [], signatures: [UInt8] = CLISandbox.tarEnd
    ) throws {
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let start: Int64? = incremental == nil ? nil : after
        let end = incremental.map { after + $0 } ?? after
        func name(_ kind: BackupFileName.Kind) -> String {
            BackupFileName(kind: kind, incremental: incremental != nil, start: start, end: end).name
        }
        var manifest = Manifest(hostname: "crafted", localDirectory: Array("/".utf8))
        for (index, volume) in volumes.enumerated() {
            let encrypted = try gpgEncrypt(volume, extraArguments: gpgArguments)
            try Posix.writeFileAtomically(target + "/" + name(.volume(index + 1)), encrypted, mode: 0o600)
            let sha1 = Insecure.SHA1.hash(data: encrypted).map { String(format: "%02x", $0) }.joined()
            manifest.volumes.append(VolumeInfo(number: index + 1, startPath: [], startBlock: nil, endPath: [], endBlock: nil, sha1: sha1))
        }
        try Posix.writeFileAtomically(target + "/" + name(.manifest), try gpgEncrypt(manifest.render()), mode: 0o600)
        try Posix.writeFileAtomically(target + "/" + name(.signatures), try gpgEncrypt(signatures), mode: 0o600)
    }

    /// A tar entry with its data and padding, for crafted volumes.
    static func tarEntry(_ name: String, type: TarEntryType = .regular, mode: UInt32 = 0o644, data: [UInt8] = []) -> [UInt8] {
        TarHeaderEncoder.encode(TarEntry(name: Array(name.utf8), type: type, mode: mode, uid: 0, gid: 0, size: Int64(data.count), mtime: 1))
            + data + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(data.count))
    }

    /// The end of a tar: two zero blocks and padding to a 10 KiB record.
    static let tarEnd = [UInt8](repeating: 0, count: 10_240)

    /// Every path under `directory` (relative, sorted), to compare before and after.
    static func listing(_ directory: String) -> [String] {
        ((FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]) ?? []).sorted()
    }

    /// gpg symmetric encryption with the secret on a pipe (never in argv).
    func gpgEncrypt(_ plain: [UInt8], extraArguments: [String] = []) throws -> [UInt8] {
        let home = try Posix.makeTemporaryDirectory(in: root, prefix: "gnupg-")
        let input = path("gpg-in"), output = path("gpg-out")
        try Posix.writeFileAtomically(input, plain, mode: 0o600)
        unlink(output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gpg")
        process.arguments =
            [
                "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                "--symmetric", "--cipher-algo", "AES256",
            ] + extraArguments + ["-o", output, input]
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

    /// gpg symmetric decryption of a stored object, the secret on a pipe.
    func gpgDecrypt(_ encrypted: [UInt8]) throws -> [UInt8] {
        let home = try Posix.makeTemporaryDirectory(in: root, prefix: "gnupg-")
        defer { _ = try? runGpgconfKill(home) }
        let input = path("gpg-in"), output = path("gpg-out")
        try Posix.writeFileAtomically(input, encrypted, mode: 0o600)
        unlink(output)
        let run = try Child.run(
            "/usr/bin/gpg",
            [
                "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback",
                "--passphrase-fd", "0", "-o", output, "--decrypt", input,
            ],
            stdin: try registry.loadSecret().value + "\n")
        guard run.status == 0 else { throw BamError.external("gpg failed: \(run.stderr)") }
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
