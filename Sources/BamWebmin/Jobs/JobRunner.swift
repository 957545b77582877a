import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The detached process of a job: runs the engine's use case in-process
/// with the request the page wrote, its progress to the job's log, and
/// writes the result. It holds the job's lock on descriptor 3 (from the
/// launcher) until it exits.
public enum JobRunner {
    public static func runIfAsked(_ arguments: [String]) {
        guard arguments.count == 3, arguments[1] == JobLauncher.runnerFlag else { return }
        signal(SIGPIPE, SIG_IGN)
        closeInheritedDescriptors()
        exit(run(JobDirectory(path: arguments[2])))
    }

    /// Closes every descriptor above the job's lock (3) that the CGI let
    /// through: one left open on miniserv's pipe would keep the request
    /// open until the job ends.
    private static func closeInheritedDescriptors() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in names.compactMap(Int32.init) where fd > 3 { close(fd) }
    }

    static func run(_ job: JobDirectory) -> Int32 {
        let result: JobResult
        do {
            let record = try job.loadRecord()
            let request = try job.loadRequest()
            let log = try JobProgressLog(path: job.events)
            StorageRegistry.defaults.registryPath = request.registry
            StorageRegistry.defaults.program = "bam-webmin"
            do {
                let started = Date()
                let outcome = try BackupUseCase(request, progress: log).run()
                log.finish()
                result = JobResult(status: BamExitStatus.success.rawValue, ended: Int64(time(nil)),
                                   text: outcome.text(elapsed: Date().timeIntervalSince(started)), warnings: log.warnings, backup: outcome)
            } catch {
                log.finish()
                result = JobResult(status: BamExitStatus.of(error).rawValue, ended: Int64(time(nil)),
                                   text: "\(record.title) failed: \(error)", warnings: log.warnings, backup: nil)
            }
        } catch {
            result = JobResult(status: BamExitStatus.failure.rawValue, ended: Int64(time(nil)),
                               text: "the job could not start: \(error)", warnings: [], backup: nil)
        }
        do { try job.write(result, to: job.result) } catch {
            FileHandle.standardError.write(Data("bam-webmin: cannot write \(job.result): \(error)\n".utf8))
            return BamExitStatus.failure.rawValue
        }
        return result.status
    }
}
