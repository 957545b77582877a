import BamEngine
import Foundation

/// The engine's progress events, written as typed lines to a job's
/// `events.jsonl` for the page to show: every phase, volume and warning,
/// and a running count of files and bytes at most once a second.
final class JobProgressLog: ProgressReporter, @unchecked Sendable {
    private let handle: FileHandle
    private let started = Date()
    private let lock = NSLock()
    private var files = 0
    private var bytes: Int64 = 0
    private var volumes = 0
    private var lastCount = 0.0
    private(set) var warnings: [String] = []

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw BamError.io(path: path, operation: "create", errno: errno)
        }
        self.handle = handle
    }

    func report(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        let seconds = Date().timeIntervalSince(started)
        switch event {
        case .phase(let name):
            write(JobEvent(kind: .phase, seconds: seconds, phase: name, files: files, bytes: bytes, volumes: volumes))
        case .item(_, let n):
            files += 1
            bytes += n
            if seconds - lastCount >= 1 {
                lastCount = seconds
                write(JobEvent(kind: .progress, seconds: seconds, files: files, bytes: bytes, volumes: volumes))
            }
        case .volume:
            volumes += 1
            write(JobEvent(kind: .volume, seconds: seconds, files: files, bytes: bytes, volumes: volumes))
        case .expected(let expectedBytes, let expectedVolumes):
            write(
                JobEvent(
                    kind: .expected, seconds: seconds, files: files, bytes: bytes, volumes: volumes,
                    expectedBytes: expectedBytes, expectedVolumes: expectedVolumes))
        case .warning(let message):
            warnings.append(message)
            write(JobEvent(kind: .warning, seconds: seconds, message: message))
        }
    }

    /// The final counts, so the page's last figures are the true ones.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        write(JobEvent(kind: .progress, seconds: Date().timeIntervalSince(started), files: files, bytes: bytes, volumes: volumes))
        try? handle.close()
    }

    private func write(_ event: JobEvent) {
        guard var line = try? JSONEncoder().encode(event) else { return }
        line.append(10)
        handle.write(line)
    }
}
