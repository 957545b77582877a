import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The module's jobs, under `<state directory>/jobs`: creating one, finding
/// one by the id a browser sends (hostile: only ids this store makes are
/// looked up), the running one and the last ones.
public struct JobStore: Sendable {
    public let directory: String

    public init(stateDirectory: String) {
        directory = stateDirectory + "/jobs"
    }

    /// Jobs kept; older ones (finished) are removed when a new one starts.
    static let kept = 20

    /// An id: UTC start time and 8 random hex digits (`20261203T224501Z-1a2b3c4d`).
    static func isJobID(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 16, parts[1].count == 8 else { return false }
        let stamp = Array(parts[0].utf8)
        let digits = stamp.enumerated().allSatisfy { i, c in
            i == 8 ? c == UInt8(ascii: "T") : i == 15 ? c == UInt8(ascii: "Z") : (c >= 48 && c <= 57)
        }
        return digits && parts[1].utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The job with `id`, nil when `id` is no job id or no such job exists.
    public func job(_ id: String) -> JobDirectory? {
        guard Self.isJobID(id), Posix.fileExists(directory + "/" + id + "/job.json") else { return nil }
        return JobDirectory(path: directory + "/" + id)
    }

    /// Every job, newest first.
    public func all() -> [JobDirectory] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter(Self.isJobID).sorted(by: >).compactMap(job)
    }

    /// The job whose runner is still at work, if any.
    public func running() -> JobDirectory? { all().first { $0.isRunning } }

    /// Makes the directory of a new job and writes what it is and what it
    /// will run; throws `BamError.locked` naming the running job, if any.
    func create(kind: JobRecord.Kind, user: String, request: JobRequest) throws -> JobDirectory {
        try Posix.makeDirectories(directory, mode: 0o700)
        // One launch at a time, so two clicks cannot both find no job running.
        let launch = try RunLock(path: directory + "/launch.lock", purpose: "job launch")
        defer { launch.release() }
        if let busy = running() {
            throw BamError.locked("job \(busy.id) is still running; wait for it to finish")
        }
        prune()
        let now = time(nil)
        var tm = tm()
        var t = now
        gmtime_r(&t, &tm)
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
        let id = stamp + "-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        let job = JobDirectory(path: directory + "/" + id)
        try Posix.makeDirectories(job.path, mode: 0o700)
        try job.write(request, to: job.request)
        try job.write(JobRecord(id: id, kind: kind, user: user, started: Int64(now)), to: job.record)
        return job
    }

    /// Removes finished jobs beyond the newest `kept`.
    private func prune() {
        for old in all().dropFirst(Self.kept - 1) where !old.isRunning {
            try? Posix.removeTree(Array(old.path.utf8))
        }
    }
}
