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

    /// Closes every descriptor above the job's lock (3) and secrets (4) that the CGI let
    /// through: one left open on miniserv's pipe would keep the request
    /// open until the job ends.
    private static func closeInheritedDescriptors() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in names.compactMap(Int32.init) where fd > 4 { close(fd) }
    }

    /// Who a job's writer says it is in the target's lock.
    static let program = "bam-webmin"

    static func run(_ job: JobDirectory) -> Int32 {
        var result: JobResult
        do {
            let record = try job.loadRecord()
            let request = try job.loadRequest()
            let log = try JobProgressLog(path: job.events)
            let started = Date()
            do {
                result = try perform(request, log: log, started: started)
                log.finish()
            } catch {
                log.finish()
                result = JobResult(
                    status: BamExitStatus.of(error).rawValue, ended: Int64(time(nil)),
                    text: "\(record.title) failed: \(error)", warnings: log.warnings)
            }
        } catch {
            result = JobResult(
                status: BamExitStatus.failure.rawValue, ended: Int64(time(nil)),
                text: "the job could not start: \(error)", warnings: [])
        }
        // The restore form (with an uploaded key) is kept only for the
        // forms that ask again: after a wrong passphrase or another
        // appliance's backup.
        // A simulation's form is kept too: its page offers to run the restore.
        let again: Set<Int32> = [BamExitStatus.wrongPassphrase.rawValue, BamExitStatus.incompatible.rawValue]
        let simulated = (try? job.loadRecord())?.kind == .restoreSimulation && result.status == 0
        if !again.contains(result.status) && !simulated { _ = unlink(job.form) }
        do { try job.write(result, to: job.result) } catch {
            FileHandle.standardError.write(Data("bam-webmin: cannot write \(job.result): \(error)\n".utf8))
            return BamExitStatus.failure.rawValue
        }
        return result.status
    }

    /// Runs the job's operation in this process.
    private static func perform(_ request: JobRequest, log: JobProgressLog, started: Date) throws -> JobResult {
        func done(_ text: String) -> JobResult {
            JobResult(status: BamExitStatus.success.rawValue, ended: Int64(time(nil)), text: text, warnings: log.warnings)
        }
        switch request {
        case .backup(var backup):
            backup.access.program = JobRunner.program
            let outcome = try BackupUseCase(backup, progress: log).run()
            var result = done(outcome.text(elapsed: Date().timeIntervalSince(started)))
            result.backup = outcome
            return result
        case .restore(var restore):
            restore.access.program = JobRunner.program
            let secrets = try readSecrets()
            let outcome = try RestoreUseCase(restore, key: .passphrase(secrets.passphrase, packet: secrets.keyPacket), progress: log).run()
            var result = done(outcome.text(elapsed: Date().timeIntervalSince(started)))
            result.restore = outcome
            return result
        case .rollback(let rollback):
            let outcome = try RollbackUseCase(rollback, progress: log).run()
            var result = done(outcome.text)
            result.rollback = outcome
            return result
        }
    }

    /// The restore's key and passphrase from the launcher's pipe (descriptor 4).
    private static func readSecrets() throws -> JobSecrets {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = read(4, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        close(4)
        guard !bytes.isEmpty else { return JobSecrets(keyPacket: nil, passphrase: "") }
        return try JSONDecoder().decode(JobSecrets.self, from: Data(bytes))
    }
}
