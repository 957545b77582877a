import Foundation
@testable import BamEngine

/// The warnings a use case reported.
final class WarningRecorder: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var warnings: [String] { lock.lock(); defer { lock.unlock() }; return recorded }
    func report(_ event: ProgressEvent) {
        guard case .warning(let message) = event else { return }
        lock.lock(); defer { lock.unlock() }
        recorded.append(message)
    }
}

/// What a request looks like after the JSON trip a job (or a test) makes.
func jsonRoundTrip<T: Codable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
}

/// An address no Hub answers on: connections are refused at once.
let unreachableHubURL = "http://127.0.0.1:1"
