import Foundation

/// Passes events on and keeps the warnings, for a result's summary.
final class WarningCollector: ProgressReporter {
    private let next: ProgressReporter
    private let lock = NSLock()
    private(set) var warnings: [String] = []

    init(forwardingTo next: ProgressReporter) { self.next = next }

    func report(_ event: ProgressEvent) {
        if case .warning(let message) = event {
            lock.lock()
            warnings.append(message)
            lock.unlock()
        }
        next.report(event)
    }
}
