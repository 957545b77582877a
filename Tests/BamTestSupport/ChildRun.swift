import Foundation

/// What a program the tests ran printed, and how it exited.
public struct ChildRun: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

public enum Child {
    /// Runs `executable` with `arguments` (and `environment`, else this
    /// process's), writes `stdin` to it and closes it, and waits. stderr is
    /// drained on its own thread so that a chatty program cannot block on
    /// a full pipe while its stdout is read.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String = "",
        environment: [String: String]? = nil
    ) throws -> ChildRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let errorData = ErrorData()
        let drained = DispatchSemaphore(value: 0)
        Thread {
            errorData.value = err.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }.start()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return ChildRun(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errorData.value, as: UTF8.self))
    }

    private final class ErrorData: @unchecked Sendable { var value = Data() }
}
