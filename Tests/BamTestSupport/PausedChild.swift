import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Holds a running child still at a chosen moment: polls `ready` until it
/// holds, stops the child (SIGSTOP), runs `body`, then lets it go on. A
/// race between two programs becomes a fixed order: "the first one is in
/// the middle of its work while the second one starts".
public enum PausedChild {
    public struct NotCaught: Error, CustomStringConvertible {
        public let description: String
    }

    public static func whilePaused(
        _ process: Process, when ready: () throws -> Bool,
        timeout: TimeInterval = 120, _ body: () throws -> Void
    ) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !ready() {
            guard process.isRunning else { throw NotCaught(description: "the child ended before the awaited moment") }
            guard Date() < deadline else { throw NotCaught(description: "the awaited moment did not come in \(timeout) s") }
            usleep(1000)
        }
        kill(process.processIdentifier, SIGSTOP)
        defer { kill(process.processIdentifier, SIGCONT) }
        // It may have moved on between the last poll and the stop.
        guard process.isRunning, try ready() else {
            throw NotCaught(description: "the child moved past the awaited moment before it was stopped")
        }
        try body()
    }
}
