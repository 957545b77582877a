import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the hooks of a backup or restore: every executable file in the
/// conf's `hooks.d` (then in the profile's `hooks.d`), in name order, as
/// `<hook> <operation> <state>`. A hook exiting non-zero aborts the run,
/// except in the `error` state, which runs after a failure and whose own
/// failure is only a warning.
///
/// Environment: `BAM_OPERATION`, `BAM_STATE`, `BAM_PROFILE_ID`,
/// `BAM_SKIP_FILES`, `BAM_SKIP_PACKAGES`, `BAM_SKIP_DATABASE` (0 or 1),
/// `BAM_ROOT`, `BAM_EXTRAS` (the extras directory, once it exists),
/// `BAM_ERROR` (the failure, in the `error` state).
public struct HookRunner {
    public enum Operation: String { case backup, restore }
    public enum State: String { case pre, inspect, post, error }

    public var directories: [String]
    public var operation: Operation
    /// Variables every hook gets; callers add the extras path when known.
    public var environment: [String: String]
    public var progress: ProgressReporter

    public init(directories: [String], operation: Operation, environment: [String: String], progress: ProgressReporter) {
        self.directories = directories
        self.operation = operation
        self.environment = environment
        self.progress = progress
    }

    /// The hooks in run order.
    public func hooks() throws -> [String] {
        var found: [String] = []
        for directory in directories where Posix.fileExists(directory) {
            let names = try Posix.listDirectory(Array(directory.utf8)).map { String(decoding: $0, as: UTF8.self) }.sorted()
            for name in names {
                let path = directory + "/" + name
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 else { continue }
                found.append(path)
            }
        }
        return found
    }

    /// Runs every hook for `state`; `directory` is its working directory.
    public func run(_ state: State, directory: String? = nil, extra: [String: String] = [:]) throws {
        var env = environment
        env["BAM_OPERATION"] = operation.rawValue
        env["BAM_STATE"] = state.rawValue
        for (k, v) in extra { env[k] = v }
        for hook in try hooks() {
            progress.report(.phase("hook \((hook as NSString).lastPathComponent) \(operation.rawValue) \(state.rawValue)"))
            let outcome = try ProcessRunner.run([hook, operation.rawValue, state.rawValue], directory: directory, environment: env)
            if outcome.status != 0 {
                let message = "hook \(hook) (\(operation.rawValue) \(state.rawValue)) failed: " + ProcessRunner.failureMessage(outcome)
                if state == .error {
                    progress.report(.warning(message))
                } else {
                    throw BamError.external(message)
                }
            }
        }
    }

    /// Runs the `error` state for `failure`; never throws.
    public func runError(_ failure: Error) {
        do { try run(.error, extra: ["BAM_ERROR": "\(failure)"]) } catch {
            progress.report(.warning("error hooks: \(error)"))
        }
    }
}
