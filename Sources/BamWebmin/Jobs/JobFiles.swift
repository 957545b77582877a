import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a job is: written by the page that starts it, before the runner
/// exists, and never changed.
public struct JobRecord: Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case backup, simulate, restore, restoreSimulation = "restore-simulation", restoreFiles = "restore-files", rollback
    }
    public var id: String
    public var kind: Kind
    /// The Webmin user who started it.
    public var user: String
    /// Seconds since the epoch.
    public var started: Int64

    public var title: String {
        switch kind {
        case .backup: return "Backup"
        case .simulate: return "Backup simulation"
        case .restore: return "Restore"
        case .restoreSimulation: return "Restore simulation"
        case .restoreFiles: return "Restore of files into a directory"
        case .rollback: return "Rollback"
        }
    }
}

/// What a job runs: the engine request of one long operation.
public enum JobRequest: Codable, Sendable {
    case backup(BackupRequest)
    case restore(RestoreRequest)
    case rollback(RollbackRequest)
}

/// The secrets a restore job needs, handed to the runner through a pipe
/// (never argv, the environment or a file).
struct JobSecrets: Codable {
    var keyPacket: String?
    var passphrase: String
}

/// One line of a job's progress log (`events.jsonl`): what the engine
/// reported, typed, with the time since the job started.
public struct JobEvent: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case phase, progress, volume, warning, expected }
    public var kind: Kind
    public var seconds: Double
    public var phase: String?
    /// The counts so far (on an `expected` line: when the work began).
    public var files: Int?
    public var bytes: Int64?
    public var volumes: Int?
    public var message: String?
    /// On an `expected` line: the work the phase goes on to do.
    public var expectedBytes: Int64?
    public var expectedVolumes: Int?
}

/// How a job ended, written once by its runner.
public struct JobResult: Codable, Sendable {
    /// The exit code the same operation has in the CLI (`BamExitStatus`).
    public var status: Int32
    public var ended: Int64
    /// The summary a person reads, or the error.
    public var text: String
    public var warnings: [String]
    public var backup: BackupOutcome?
    public var restore: RestoreOutcome?
    public var rollback: RollbackOutcome?
}

/// A job's directory under the module's state directory:
/// `jobs/<id>/{job.json, request.json, events.jsonl, result.json,
/// runner.lock, runner.log}`, all 0600 in 0700 directories.
public struct JobDirectory: Sendable {
    public let path: String
    public init(path: String) { self.path = path }

    public var id: String { String(path.split(separator: "/").last ?? "") }
    var record: String { path + "/job.json" }
    var request: String { path + "/request.json" }
    var events: String { path + "/events.jsonl" }
    var result: String { path + "/result.json" }
    /// Held (flock) by the runner for as long as it runs.
    var lock: String { path + "/runner.lock" }
    /// The runner's stdout and stderr: only what escapes the engine (a crash).
    var log: String { path + "/runner.log" }

    public func loadRecord() throws -> JobRecord { try Self.decode(JobRecord.self, record) }
    public func loadResult() -> JobResult? { try? Self.decode(JobResult.self, result) }
    func loadRequest() throws -> JobRequest { try Self.decode(JobRequest.self, request) }

    /// The restore form a job was started from (without the passphrase),
    /// kept for the forms that ask again after exit 10 or 11.
    var form: String { path + "/form.json" }
    func loadForm() -> RestoreForm? { try? Self.decode(RestoreForm.self, form) }

    /// The progress so far: the last line of each kind that matters.
    public func loadEvents() -> [JobEvent] {
        guard let bytes = try? Posix.readFile(events) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(JobEvent.self, from: Data($0)) }
    }

    /// Whether the runner still holds the job's lock.
    public var isRunning: Bool {
        let fd = open(lock, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    func write<T: Encodable>(_ value: T, to file: String) throws {
        try Posix.writeFileAtomically(file, Array(try JSONEncoder().encode(value)), mode: 0o600)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(try Posix.readFile(file)))
    }
}
