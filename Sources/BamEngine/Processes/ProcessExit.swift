import Dispatch
import Foundation

/// Waits for a Foundation `Process` to exit. `waitUntilExit()` on Linux
/// spins its run loop in 50 ms steps, so every child waited for that way
/// costs up to 50 ms more than it runs; the termination handler fires as
/// soon as the child is reaped. Make it before `run()`: it installs the
/// process's termination handler.
public final class ProcessExit: @unchecked Sendable {
    private let exited = DispatchSemaphore(value: 0)

    public init(_ process: Process) {
        process.terminationHandler = { [exited] _ in exited.signal() }
    }

    /// Returns once the process has exited; at once on later calls.
    public func wait() {
        exited.wait()
        exited.signal()
    }
}
