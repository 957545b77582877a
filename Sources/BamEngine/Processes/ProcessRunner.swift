import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child process to completion with its output captured, for hooks
/// and apt. A failure message shows the command line and the output, so
/// the user sees what went wrong without re-running it.
public enum ProcessRunner {
    public struct Outcome {
        public var status: Int32
        public var output: String
        /// The command line, shell-quoted, for messages.
        public var commandLine: String
    }

    /// Runs `arguments[0]` (an absolute path) with the rest as argv;
    /// stdout and stderr are merged into `output`; stdin is /dev/null.
    public static func run(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let commandLine = arguments.map(quote).joined(separator: " ")
        var attempt = 0
        var process: Process
        var pipe: Pipe
        var exit: ProcessExit
        while true {
            process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            process.environment = env
            pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            exit = ProcessExit(process)
            do {
                try process.run()
                break
            } catch {
                // A script written just before may still be open for writing
                // in a child another thread forked and has not yet exec'd
                // (ETXTBSY): that passes within milliseconds, so try again.
                attempt += 1
                if attempt < 5 && access(arguments[0], X_OK) == 0 {
                    usleep(UInt32(20_000 * attempt))
                    continue
                }
                throw BamError.external("cannot run \(commandLine): \(error.localizedDescription)")
            }
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        exit.wait()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Outcome(status: status, output: String(decoding: data, as: UTF8.self), commandLine: commandLine)
    }

    /// As `run`, but a non-zero exit is an error showing the output.
    @discardableResult
    public static func check(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
        let outcome = try run(arguments, directory: directory, environment: environment)
        guard outcome.status == 0 else { throw BamError.external(failureMessage(outcome)) }
        return outcome
    }

    public static func failureMessage(_ outcome: Outcome) -> String {
        let tail = outcome.output.split(separator: "\n").suffix(20).map { "    " + $0 }.joined(separator: "\n")
        return "\(outcome.commandLine) exited with status \(outcome.status)" + (tail.isEmpty ? "" : ":\n" + tail)
    }

    static func quote(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
