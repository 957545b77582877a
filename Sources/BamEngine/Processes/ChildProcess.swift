import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A database tool run with its standard output or input streamed through
/// this process (a dump can be far larger than memory), and its standard
/// error kept (the last 64 KiB) for the failure message. Arguments are an
/// argv array; secrets never go in them (they travel in 0600 files).
final class ChildProcess {
    enum Input {
        case null
        /// The caller writes to `stdinFD`, then calls `closeStdin()`.
        case pipe
    }

    enum Output {
        case null
        /// The caller reads `stdoutFD` to its end.
        case pipe
    }

    /// F_SETPIPE_SZ (Linux); not exported by the Glibc module.
    private static let setPipeSize: Int32 = 1031

    let commandLine: String
    private let process = Process()
    private let exit: ProcessExit
    private var stdinPipe: Pipe?
    private var stdoutPipe: Pipe?
    private let stderrPipe = Pipe()
    private var stderrTail: [UInt8] = []
    private let stderrDone = DispatchSemaphore(value: 0)
    private var stdinClosed = false

    init(
        _ arguments: [String], stdin: Input = .null, stdout: Output = .pipe, directory: String? = "/",
        environment: [String: String] = [:]
    ) throws {
        commandLine = arguments.map(ProcessRunner.quote).joined(separator: " ")
        exit = ProcessExit(process)
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        switch stdin {
        case .null: process.standardInput = FileHandle.nullDevice
        case .pipe:
            // A tool that dies must give an error (EPIPE), not kill bam.
            signal(SIGPIPE, SIG_IGN)
            let pipe = Pipe()
            stdinPipe = pipe
            process.standardInput = pipe
        }
        switch stdout {
        case .null: process.standardOutput = FileHandle.nullDevice
        case .pipe:
            let pipe = Pipe()
            stdoutPipe = pipe
            process.standardOutput = pipe
        }
        process.standardError = stderrPipe
        // 1 MiB pipes instead of 64 KiB: a dump or a load streams gigabytes,
        // and each full pipe is a switch between bam and the tool.
        for pipe in [stdinPipe, stdoutPipe].compactMap({ $0 }) {
            _ = fcntl(pipe.fileHandleForReading.fileDescriptor, Self.setPipeSize, Int32(1 << 20))
        }
        do {
            try process.run()
        } catch {
            throw BamError.external("cannot run \(commandLine): \(error.localizedDescription)")
        }
        // Drained on its own thread: a chatty tool must not block on a full pipe.
        let fd = stderrPipe.fileHandleForReading.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, 16384) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                stderrTail.append(contentsOf: buffer[0..<n])
                if stderrTail.count > 65536 { stderrTail.removeFirst(stderrTail.count - 65536) }
            }
            stderrDone.signal()
        }
    }

    var stdoutFD: Int32 { stdoutPipe!.fileHandleForReading.fileDescriptor }
    var stdinFD: Int32 { stdinPipe!.fileHandleForWriting.fileDescriptor }

    /// Writes all of `bytes` to the child's standard input.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        do {
            try Posix.writeAll(stdinFD, base, bytes.count, path: commandLine)
        } catch BamError.io(_, _, let code) where code == EPIPE {
            // The tool stopped reading: its own error says why.
            _ = wait()
            throw BamError.external(failureMessage(prefix: "\(commandLine) stopped reading its input"))
        }
    }

    func closeStdin() {
        guard let stdinPipe, !stdinClosed else { return }
        stdinClosed = true
        try? stdinPipe.fileHandleForWriting.close()
    }

    private var status: Int32?

    /// Waits for the exit; the status (128 + signal when killed).
    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        closeStdin()
        exit.wait()
        stderrDone.wait()
        let s = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        status = s
        return s
    }

    var errorOutput: String { String(decoding: stderrTail, as: UTF8.self) }

    func failureMessage(prefix: String? = nil) -> String {
        let tail = errorOutput.split(separator: "\n").suffix(20).map { "    " + $0 }.joined(separator: "\n")
        return (prefix ?? "\(commandLine) exited with status \(status ?? -1)") + (tail.isEmpty ? "" : ":\n" + tail)
    }

    /// Waits; a non-zero exit is an error with `what` and the tool's own words.
    func check(_ what: String) throws {
        if wait() != 0 { throw BamError.external(what + ": " + failureMessage()) }
    }

    /// Stops the child (after an error on this side) and reaps it.
    func terminate() {
        if status == nil && process.isRunning { process.terminate() }
        closeStdin()
        _ = wait()
    }

    /// Runs to completion and returns standard output (small outputs only).
    static func output(_ arguments: [String], environment: [String: String] = [:], what: String) throws -> [UInt8] {
        let child = try ChildProcess(arguments, environment: environment)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(child.stdoutFD, $0.baseAddress!, 65536, path: child.commandLine) }
            out.append(contentsOf: buffer[0..<n])
            if n < 65536 { break }
        }
        try child.check(what)
        return out
    }

    /// Finds a program in PATH (and the usual sbin directories), the first
    /// of `names` that exists.
    static func which(_ names: String...) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for name in names {
            for dir in path.split(separator: ":") where !dir.isEmpty {
                let candidate = dir + "/" + name
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        throw BamError.external("\(names.joined(separator: " or ")) not found in PATH: install the database client tools")
    }
}
