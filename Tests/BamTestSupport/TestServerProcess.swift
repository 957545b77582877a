import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// A server the tests start on 127.0.0.1. A small python launcher runs it
/// and terminates it when the launcher's stdin reaches end of file, which
/// happens when `stop()` is called or when the test process exits, however
/// it exits: no server outlives the test run.
public final class TestServerProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    /// The port given to the initialiser that waits for it (0 otherwise).
    public private(set) var port = 0
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

    /// Starts `argv` (its program looked up in PATH) with extra environment
    /// variables, logging to `logPath`.
    public init(name: String, argv: [String], environment: [String: String] = [:], logPath: String) throws {
        guard Self.which(argv[0]) != nil else {
            throw TestServerError(description: "\(argv[0]) is not installed or not in PATH: \(name) is needed by these tests")
        }
        guard Self.which("python3") != nil else {
            throw TestServerError(description: "python3 is not installed: it runs the \(name) for these tests")
        }
        self.name = name
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
    }

    /// Starts `argv` and waits until it accepts connections on `port`.
    public convenience init(name: String, argv: [String], port: Int, environment: [String: String] = [:], logPath: String) throws {
        try self.init(name: name, argv: argv, environment: environment, logPath: logPath)
        self.port = port
        try waitForPort(port)
    }

    deinit { stop() }

    public var isRunning: Bool { process.isRunning }

    public func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    public func logTail(_ bytes: Int = 2000) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log)" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    /// Waits until something accepts connections on 127.0.0.1:`port`.
    public func waitForPort(_ port: Int, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning {
                throw TestServerError(description: "\(name) exited before listening on port \(port); log:\n\(logTail())")
            }
            if Self.canConnect(port) { return }
            usleep(100_000)
        }
        throw TestServerError(description: "\(name) did not listen on port \(port) within \(Int(timeout)) s; log:\n\(logTail())")
    }

    public static func which(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// A port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw TestServerError(description: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
