/// How far a running job's current phase is, and the time it has left,
/// where the engine said up front how much work the phase has
/// (`ProgressEvent.expected`: the volumes a restore applies, the bytes a
/// whole-system backup reads). Never 100% while running: the last volume
/// may still be settling.
struct JobEstimate: Equatable {
    var percent: Int
    var secondsLeft: Int?

    init(percent: Int, secondsLeft: Int?) {
        self.percent = percent
        self.secondsLeft = secondsLeft
    }

    /// nil when the phase said nothing of its size, or a later phase began.
    /// `now`: seconds since the job started, as the events count them.
    init?(events: [JobEvent], now: Double) {
        guard let index = events.lastIndex(where: { $0.kind == .expected }) else { return nil }
        let start = events[index]
        if events[(index + 1)...].contains(where: { $0.kind == .phase }) { return nil }
        let latest = events[index...].last { $0.files != nil } ?? start
        let fraction: Double
        if let total = start.expectedVolumes, total > 0 {
            fraction = Double((latest.volumes ?? 0) - (start.volumes ?? 0)) / Double(total)
        } else if let total = start.expectedBytes, total > 0 {
            fraction = Double((latest.bytes ?? 0) - (start.bytes ?? 0)) / Double(total)
        } else {
            return nil
        }
        let done = min(max(fraction, 0), 0.99)
        percent = Int(done * 100)
        // Too early to tell below 2%: the first volume's time is mostly setup.
        let spent = now - start.seconds
        secondsLeft = done >= 0.02 && spent > 0 ? Int((spent * (1 - done) / done).rounded()) : nil
    }

    /// "about 40 s", "about 12 min", "about 3 h".
    static func describe(seconds: Int) -> String {
        if seconds < 90 { return "about \(max(1, seconds)) s" }
        if seconds < 90 * 60 { return "about \((seconds + 30) / 60) min" }
        return "about \((seconds + 1800) / 3600) h"
    }
}
