import Dispatch
import Foundation

/// Runs a throwing job on a thread of its own while the caller goes on;
/// `wait()` returns once it has finished and rethrows its error.
final class BackgroundTask: @unchecked Sendable {
    private let done = DispatchGroup()
    /// Written before `done.leave()`, read only after `done.wait()`.
    private var failure: Error?

    init(_ job: @escaping () throws -> Void) {
        done.enter()
        Thread { [self] in
            do { try job() } catch { failure = error }
            done.leave()
        }.start()
    }

    func wait() throws {
        done.wait()
        if let failure { throw failure }
    }
}
