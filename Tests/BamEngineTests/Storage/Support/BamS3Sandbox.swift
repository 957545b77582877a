import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `bam` against a bucket prefix of a shared S3 server (moto
/// unless told):
/// a registry, a cache and a source under one temporary tree. Credentials
/// go through the environment (or the registry's `credentials` file),
/// never argv.
final class BamS3Sandbox {
    let tree: TestTree
    let server: any S3TestServer
    let bucket: String
    let prefix: String
    /// The port bam connects to: the server's, or a proxy's in front of it.
    var port: Int
    /// Credentials put in bam's environment; nil: none (the registry's file).
    var environmentCredentials: S3Credentials?

    init(_ label: String, prefix: String = "backups/host 1", on kind: S3ServerKind = .moto) throws {
        tree = try TestTree(label)
        server = try kind.server()
        bucket = try server.makeBucket(label)
        self.prefix = prefix
        port = server.port
        environmentCredentials = server.credentials
    }

    var registry: Registry { Registry(path: tree.area("registry")) }
    var source: String { tree.area("source") }
    var cache: String { tree.area("cache") }
    var address: String { "s3+http://127.0.0.1:\(port)/\(bucket)/\(prefix)" }

    /// A backend on the same prefix, straight to the server (for inspection).
    func direct() throws -> S3Backend {
        try server.backend(hint: "", bucket: bucket, prefix: prefix)
    }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] { env[k] = nil }
        if let c = environmentCredentials {
            env["AWS_ACCESS_KEY_ID"] = c.accessKey
            env["AWS_SECRET_ACCESS_KEY"] = c.secretKey
        }
        env["BAM_REGISTRY"] = registry.path
        env["BAM_CACHE"] = cache
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

    /// Runs bam to the end; returns its status and combined output.
    @discardableResult
    func bam(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (process, pipe) = try self.process(arguments)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs bam and fails with its output unless it exits 0.
    @discardableResult
    func bamOK(_ arguments: [String]) throws -> String {
        let r = try bam(arguments)
        guard r.status == 0 else {
            throw BamError.external("bam \(arguments.first ?? "") exited \(r.status): \(r.output)")
        }
        return r.output
    }

    func initialise() throws { try bamOK(["init", "--solo"]) }

    /// Writes the server's key pair to the registry's `credentials` file.
    func writeCredentialsFile() throws {
        let c = server.credentials
        try Posix.writeFileAtomically(
            registry.path + "/credentials",
            Array("accesskey=\(c.accessKey)\nsecretkey=\(c.secretKey)\n".utf8), mode: 0o600)
    }

    /// A small tree: text, names with spaces and unicode, a symlink, and
    /// `randomMiB` MiB of incompressible data in 1 MiB files.
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

    /// `BAM_BIN`, else the `bam` built beside the test bundle.
    static func binary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["BAM_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        for executable in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: executable)
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                candidates.append(url.appendingPathComponent("bam").path)
            }
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) && !$0.hasSuffix(".xctest/bam") }) else {
            throw BamError.missing(what: "the bam binary (looked at \(candidates.joined(separator: ", ")); run 'swift build' or set BAM_BIN")
        }
        return found
    }
}

extension BamS3Sandbox {
    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }
}
