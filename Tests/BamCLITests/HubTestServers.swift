import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A server a test starts on 127.0.0.1 (moto, bam-hub). A small python
/// launcher runs it and terminates it when the launcher's stdin reaches end
/// of file — on `stop()`, or when the test process exits however it exits —
/// so no server outlives the test run.
final class BackgroundServer: @unchecked Sendable {
    let name: String
    let port: Int
    let logPath: String
    private let process: Process
    private let stdinPipe: Pipe

    private static let launcher = """
        import os, subprocess, sys, threading
        log = open(sys.argv[1], "ab", buffering=0)
        child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        def watch():
            code = child.wait()
            log.write(("\\n[launcher] server exited with status %d\\n" % code).encode())
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        try:
            sys.stdin.buffer.read()
        finally:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
        """

    /// Starts `argv` and waits until it accepts connections on `port`.
    init(name: String, argv: [String], port: Int, logPath: String, environment: [String: String] = [:]) throws {
        guard Self.which(argv[0]) != nil else {
            throw BamError.missing(what: "\(argv[0]) (the \(name) these tests start; run scripts/install-deps.sh or swift build)")
        }
        guard Self.which("python3") != nil else { throw BamError.missing(what: "python3, which runs the \(name) for these tests") }
        self.name = name
        self.port = port
        self.logPath = logPath
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.launcher, logPath] + argv
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        stdinPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitForPort()
    }

    deinit { stop() }

    func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    func logTail(_ bytes: Int = 3000) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log)" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    private func waitForPort(timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw BamError.external("\(name) exited before listening on port \(port); log:\n\(logTail())") }
            if Self.canConnect(port) { return }
            usleep(100_000)
        }
        throw BamError.external("\(name) did not listen on port \(port) within \(Int(timeout)) s; log:\n\(logTail())")
    }

    static func which(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// A port on 127.0.0.1 that nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BamError.io(path: "socket", operation: "socket", errno: errno) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw BamError.io(path: "127.0.0.1:0", operation: "bind", errno: errno) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A real `bam-hub` on SQLite with one account and one storage region —
/// a moto S3 server (its STS hands out the temporary keys) or a directory —
/// all under `directory`.
final class HubTestWorld {
    let directory: String
    let database: String
    private(set) var hub: BackgroundServer?
    private(set) var moto: BackgroundServer?
    let email = "owner@example.com"
    private(set) var apiKey = ""

    var url: String { "http://127.0.0.1:\(hub?.port ?? 0)" }

    enum Storage { case moto, directory(String) }

    init(directory: String, storage: Storage) throws {
        self.directory = directory
        database = "sqlite:" + directory + "/hub.sqlite"
        try Posix.makeDirectories(directory, mode: 0o700)
        let account = try hubAdmin(["account", "add", email, "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(account.utf8)) as? [String: Any],
              let key = object["apikey"] as? String, !key.isEmpty else {
            throw BamError.external("bam-hub account add printed no apikey: \(account)")
        }
        apiKey = key
        switch storage {
        case .moto:
            guard BackgroundServer.which("moto_server") != nil else {
                throw BamError.missing(what: "moto_server (pip install 'moto[server]'; scripts/install-deps.sh does it)")
            }
            let port = try BackgroundServer.freePort()
            moto = try BackgroundServer(name: "moto S3 server", argv: ["moto_server", "-H", "127.0.0.1", "-p", String(port)],
                                        port: port, logPath: directory + "/moto.log")
            try Self.curl(["-X", "PUT", "http://127.0.0.1:\(port)/bam-hub-e2e"])
            try hubAdmin(["region", "add", "local-s3", "--endpoint", "http://127.0.0.1:\(port)", "--bucket", "bam-hub-e2e",
                          "--lat", "50", "--lon", "8", "--access-key", "AKIAHUBREGIONKEY",
                          "--sts-role", "arn:aws:iam::123456789012:role/bam-backups", "--secret-key-stdin", "--default"],
                         stdin: "hub-region-secret\n")
        case let .directory(path):
            try Posix.makeDirectories(path, mode: 0o700)
            try hubAdmin(["region", "add", "local-dir", "--endpoint", "file://" + path, "--bucket", "backups",
                          "--lat", "50", "--lon", "8", "--default"])
        }
        try startHub()
    }

    deinit { stopHub(); moto?.stop() }

    func startHub() throws {
        let port = try BackgroundServer.freePort()
        hub = try BackgroundServer(name: "bam-hub", argv: [try Self.hubBinary(), "serve", "--listen", "127.0.0.1:\(port)",
                                                           "--database", database, "--templates", Self.packageDirectory + "/templates/hub"],
                                   port: port, logPath: directory + "/hub.log")
    }

    func stopHub() { hub?.stop() }

    /// Imports a profile directory into the Hub under `id`.
    func importProfile(_ path: String, id: String) throws {
        try hubAdmin(["profile", "import", path, "--id", id])
    }

    @discardableResult
    func hubAdmin(_ arguments: [String], stdin: String = "") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.hubBinary())
        process.arguments = arguments + ["--database", database]
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BamError.external("bam-hub \(arguments.first ?? "") failed (\(process.terminationStatus)): \(String(decoding: e, as: UTF8.self))")
        }
        return String(decoding: o, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
