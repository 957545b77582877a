import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting a server's program with stdin, stdout and stderr on /dev/null.
/// A server started through a pipe inherits it, and a read of that pipe
/// would then never reach its end; so daemons (mariadbd, pg_ctl's
/// postgres) are started this way and log to files of their own.
public enum QuietSpawn {
    /// Starts `arguments` (an absolute program path first) and returns its pid.
    public static func start(_ arguments: [String]) throws -> pid_t {
        var cargs = arguments.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var child: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let rc = posix_spawn(&child, arguments[0], &actions, nil, &cargs, environ)
        posix_spawn_file_actions_destroy(&actions)
        guard rc == 0 else { throw TestServerError(description: "cannot run \(arguments[0]): \(String(cString: strerror(rc)))") }
        return child
    }

    /// Runs `arguments` to the end; its exit status (128 + signal when killed).
    public static func run(_ arguments: [String]) throws -> Int32 {
        let child = try start(arguments)
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
