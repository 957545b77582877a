import Testing
@testable import BamWebmin

/// A running job's percentage and time left come from what the engine said
/// up front of its current phase; nothing is shown when it said nothing.
@Suite("job estimate")
struct JobEstimateTests {
    static func event(_ kind: JobEvent.Kind, at seconds: Double, bytes: Int64 = 0, volumes: Int = 0, phase: String? = nil) -> JobEvent {
        JobEvent(kind: kind, seconds: seconds, phase: phase, files: 0, bytes: bytes, volumes: volumes)
    }

    @Test("a restore's volumes: 3 of 12 applied in 30 s after the plan is 25%, 90 s left")
    func volumes() {
        var start = Self.event(.expected, at: 10, volumes: 0)
        start.expectedVolumes = 12
        let events = [Self.event(.phase, at: 1, phase: "downloading"), start, Self.event(.volume, at: 40, volumes: 3)]
        #expect(JobEstimate(events: events, now: 40) == JobEstimate(percent: 25, secondsLeft: 90))
    }

    @Test("a backup's bytes count from where the phase began, and stop short of 100%")
    func bytes() {
        var start = Self.event(.expected, at: 5, bytes: 1000)
        start.expectedBytes = 4000
        let half = [start, Self.event(.progress, at: 15, bytes: 3000)]
        #expect(JobEstimate(events: half, now: 15) == JobEstimate(percent: 50, secondsLeft: 10))
        let beyond = [start, Self.event(.progress, at: 15, bytes: 9000)]
        #expect(JobEstimate(events: beyond, now: 15)?.percent == 99)
    }

    @Test("no estimate without an expectation, after a later phase, or of nothing")
    func none() {
        #expect(JobEstimate(events: [Self.event(.progress, at: 3, bytes: 10)], now: 3) == nil)
        var start = Self.event(.expected, at: 1)
        start.expectedVolumes = 4
        #expect(JobEstimate(events: [start, Self.event(.phase, at: 2, phase: "applying")], now: 2) == nil)
        var empty = Self.event(.expected, at: 1)
        empty.expectedBytes = 0
        #expect(JobEstimate(events: [empty], now: 2) == nil)
        // Too early to tell: a percentage, no time.
        #expect(JobEstimate(events: [start], now: 1) == JobEstimate(percent: 0, secondsLeft: nil))
    }

    @Test("time left reads as seconds, minutes or hours")
    func describe() {
        #expect(JobEstimate.describe(seconds: 40) == "about 40 s")
        #expect(JobEstimate.describe(seconds: 750) == "about 13 min")
        #expect(JobEstimate.describe(seconds: 3 * 3600 + 100) == "about 3 h")
    }
}
