import Foundation

/// The one worker pool of the engine: `count` threads running the same
/// work loop (each takes the next item from state the caller shares and
/// locks), waited for together. Threads, not Dispatch: the loops block on
/// the network and on files, which would starve Dispatch's pool.
enum WorkerThreads {
    /// Runs `work` on `count` threads at once, or inline when `count` is 1
    /// or less, and returns once every one has returned.
    static func run(_ count: Int, _ work: @escaping () -> Void) {
        guard count > 1 else {
            work()
            return
        }
        let group = DispatchGroup()
        for _ in 0..<count {
            group.enter()
            Thread {
                work()
                group.leave()
            }.start()
        }
        group.wait()
    }
}
