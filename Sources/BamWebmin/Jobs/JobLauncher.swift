import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a job's runner: this same program, in its own session (so
/// neither the browser going away nor miniserv ending the CGI stops it),
/// holding the job's lock from before it starts. The environment is the
/// request's without Webmin's session secrets; nothing secret is in argv.
enum JobLauncher {
    /// The argument that makes `bam-webmin` a job runner.
    static let runnerFlag = "--run-job"

    /// glibc's POSIX_SPAWN_SETSID (spawn.h, 2.26+): declared only under
    /// _GNU_SOURCE, which Swift's Glibc module does not define.
    private static let spawnSetSID: Int32 = 0x80

    /// Starts the runner of `job`; `secrets` reach it through a pipe on
    /// descriptor 4.
    static func launch(_ job: JobDirectory, environment: [String: String], secrets: JobSecrets? = nil) throws {
        // The lock is taken here and handed to the runner as descriptor 3:
        // the job counts as running from this moment, not from whenever
        // the runner gets scheduled.
        let lockFD = open(job.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw BamError.io(path: job.lock, operation: "open", errno: errno) }
        defer { close(lockFD) }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else { throw BamError.locked("job \(job.id) is already running") }
        let logFD = open(job.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard logFD >= 0 else { throw BamError.io(path: job.log, operation: "open", errno: errno) }
        defer { close(logFD) }

        let program = try selfPath()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        posix_spawn_file_actions_adddup2(&actions, lockFD, 3)
        // The secrets: a pipe whose read end is the runner's descriptor 4,
        // filled (a few hundred bytes: within the pipe's buffer) and closed
        // before the runner starts.
        var pipeFDs: [Int32] = [-1, -1]
        defer { if pipeFDs[0] >= 0 { close(pipeFDs[0]) } }
        if let secrets {
            // pipe2 is _GNU_SOURCE-only in Swift's Glibc: pipe, then CLOEXEC,
            // so no other child of this process inherits the secrets.
            guard pipe(&pipeFDs) == 0 else { throw BamError.io(path: "pipe", operation: "create", errno: errno) }
            for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            let bytes = Array(try JSONEncoder().encode(secrets))
            do { try Posix.writeAll(pipeFDs[1], bytes, path: "the job's secrets pipe") } catch {
                close(pipeFDs[1])
                throw error
            }
            close(pipeFDs[1])
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 4)
        } else {
            posix_spawn_file_actions_addopen(&actions, 4, "/dev/null", O_RDONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigaddset(&signals, SIGPIPE)
        sigaddset(&signals, SIGHUP)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [program, runnerFlag, job.path]
        let env = environment.filter { !JobEnvironment.withheld.contains($0.key) }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnv) }
        }
        guard status == 0 else {
            throw BamError.external("cannot start the job runner \(program): \(String(cString: strerror(status)))")
        }
        // Not waited for: the runner outlives this request. SIGCHLD is left
        // as it is, so the kernel reaps it once this CGI has exited.
    }

    /// This program's own file (the CGI is a symlink to it).
    static func selfPath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw BamError.io(path: "/proc/self/exe", operation: "readlink", errno: errno) }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
