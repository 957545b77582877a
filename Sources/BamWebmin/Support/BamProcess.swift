import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the `bam` CLI for a page: an argv array (never a shell), an
/// environment without Webmin's session secrets, secrets on stdin only.
/// Long runs hand their output over line by line as it comes.
public struct BamProcess {
    /// Variables never passed on: the Webmin session id and password, the
    /// browser's cookies and credentials.
    public static let withheld: Set<String> = ["SESSION_ID", "REMOTE_PASS", "HTTP_COOKIE", "HTTP_AUTHORIZATION"]

    public let settings: ModuleSettings
    public let environment: [String: String]

    public init(settings: ModuleSettings, requestEnvironment: [String: String]) {
        self.settings = settings
        var env = requestEnvironment.filter { !Self.withheld.contains($0.key) }
        env["BAM_REGISTRY"] = settings.registry
        env["BAM_CONF"] = settings.confDirectory
        env["BAM_CACHE"] = settings.cacheDirectory
        if let hub = settings.hubURL { env["BAM_HUB_URL"] = hub }
        env["TERM"] = "dumb"
        env["BAM_PROGRESS"] = "lines"  // a line per phase and volume, streamed to the page
        if env["PATH"] == nil { env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }
        environment = env
    }

    public struct Finished {
        public let status: Int32
        public let output: String
    }

    /// Runs bam with `arguments`, writes `stdin` to it, and calls `line`
    /// for each line of its merged stdout and stderr as soon as it arrives.
    @discardableResult
    public func stream(_ arguments: [String], stdin: String = "", line: (String) -> Void) throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.bamPath)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        let exit = ProcessExit(process)
        do { try process.run() } catch {
            throw CGIError.forbidden("cannot start \(settings.bamPath): \(error.localizedDescription)")
        }
        // Small inputs fit the pipe buffer, so writing before reading cannot deadlock.
        if !stdin.isEmpty { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        try? output.fileHandleForWriting.close()
        var pending: [UInt8] = []
        var all = ""
        let reader = output.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending += chunk
            while let newline = pending.firstIndex(of: 10) {
                var piece = Array(pending[..<newline])
                if piece.last == 13 { piece.removeLast() }
                pending.removeSubrange(...newline)
                let text = String(decoding: piece, as: UTF8.self)
                all += text + "\n"
                line(text)
            }
        }
        if !pending.isEmpty {
            let text = String(decoding: pending, as: UTF8.self)
            all += text
            line(text)
        }
        exit.wait()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return Finished(status: status, output: all)
    }

    /// Runs bam and returns stdout and stderr separately (for small answers: JSON, keys).
    public func capture(_ arguments: [String], stdin: String = "") throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.bamPath)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let exit = ProcessExit(process)
        do { try process.run() } catch {
            throw CGIError.forbidden("cannot start \(settings.bamPath): \(error.localizedDescription)")
        }
        if !stdin.isEmpty { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        // stderr on a thread so neither pipe can fill up and block bam.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        exit.wait()
        return (process.terminationStatus, Array(outData), String(decoding: errData, as: UTF8.self))
    }
}

/// Holds what the stderr reader thread read; the DispatchGroup orders the access.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
