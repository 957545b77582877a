/// Which chains a target keeps: conf's `keep-full N` (the newest N full
/// chains) and `keep-within AGE` (every chain with a set newer than AGE).
/// With both, a chain is kept when either rule keeps it; the newest chain
/// is always kept. A policy with neither rule is no policy: everything is
/// kept, as before retention existed.
public struct RetentionPolicy: Codable, Equatable, Sendable, CustomStringConvertible {
    public var keepFull: Int?
    public var keepWithin: FullBackupInterval?

    /// What `keep-full` (and `--keep-full`) may be.
    public static let keepFullRange = 1...1_000_000

    public init(keepFull: Int? = nil, keepWithin: FullBackupInterval? = nil) {
        self.keepFull = keepFull
        self.keepWithin = keepWithin
    }

    /// True when the policy keeps everything (no rule given).
    public var isEmpty: Bool { keepFull == nil && keepWithin == nil }

    /// Checks `keep-full`'s number (without the source: the caller names
    /// the file and line or the flag).
    public static func parseKeepFull(_ text: String) throws -> Int {
        guard let n = Int(text), keepFullRange.contains(n) else {
            throw BamError.invalid(
                "must be a whole number from \(keepFullRange.lowerBound) to \(keepFullRange.upperBound), got '\(Posix.display(text))'")
        }
        return n
    }

    /// `keep-within`'s age, in `full-backup`'s syntax (3M, 2W, 10D); `now`
    /// is refused: it would keep no chain by age and reads like "keep all".
    public static func parseKeepWithin(_ text: String) throws -> FullBackupInterval {
        let age: FullBackupInterval
        do { age = try FullBackupInterval.parse(text) } catch {
            throw BamError.invalid("must be an age like 3M, 2W or 10D (units m h D W M Y), got '\(Posix.display(text))'")
        }
        guard age != .now else { throw BamError.invalid("must be an age like 3M, 2W or 10D, not 'now'") }
        return age
    }

    /// For each of `chains` (oldest first, as `ChainResolver` gives them),
    /// whether the policy keeps it at time `now`. Chains are whole (a full
    /// and the incrementals that build on it), so keeping a chain keeps
    /// everything each of its incrementals needs.
    public func keeps(_ chains: [BackupChain], now: Int64) -> [Bool] {
        let count = chains.count
        if isEmpty { return Array(repeating: true, count: count) }  // no rule: keep everything
        return chains.indices.map { index in
            if index == count - 1 { return true }  // the newest chain: what the next incremental continues
            if let keepFull, index >= count - keepFull { return true }
            if let keepWithin, chains[index].end >= now - Int64(keepWithin.seconds) { return true }
            return false
        }
    }

    public var description: String {
        var rules: [String] = []
        if let keepFull { rules.append("keep-full \(keepFull)") }
        if let keepWithin { rules.append("keep-within \(keepWithin)") }
        return rules.isEmpty ? "keep everything" : rules.joined(separator: ", ")
    }

    enum CodingKeys: String, CodingKey {
        case keepFull = "keep_full", keepWithin = "keep_within"
    }

    // A request carrying a policy may come from a file a job wrote: its
    // values are checked as conf's are.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keepFull = try container.decodeIfPresent(Int.self, forKey: .keepFull)
        if let keepFull, !Self.keepFullRange.contains(keepFull) {
            throw DecodingError.dataCorruptedError(forKey: .keepFull, in: container, debugDescription: "keep_full out of range")
        }
        if let text = try container.decodeIfPresent(String.self, forKey: .keepWithin) {
            do { keepWithin = try Self.parseKeepWithin(text) } catch {
                throw DecodingError.dataCorruptedError(forKey: .keepWithin, in: container, debugDescription: "keep_within \(error)")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(keepFull, forKey: .keepFull)
        try container.encodeIfPresent(keepWithin?.description, forKey: .keepWithin)
    }
}
