/// What a retention policy removes from a target, decided from its object
/// list alone (no change is made here): whole chains the policy does not
/// keep, and the incomplete or orphaned sets (`ChainResolver.strays`) older
/// than the oldest chain kept.
///
/// A stray newer than that is kept: the newest one may be the interrupted
/// set the next backup continues (its resume journal names it), and one
/// between kept chains is left for a person to look at rather than guessed
/// about. Under the target's lock no backup is writing, so no stray is a
/// set being written right now; the rule is about what can still be used.
public struct PrunePlan {
    public let kept: [BackupChain]
    public let removed: [BackupChain]
    public let removedStrays: [BackupSet]
    public let keptStrays: [BackupSet]
    /// Every object's size, by name, as listed.
    let sizes: [String: Int64]
    /// The sets left on the target: the kept chains' and the kept strays.
    private let staying: [BackupSet]

    public init(objects: [StoredObject], policy: RetentionPolicy, now: Int64) {
        let resolver = ChainResolver(objects: objects)
        let keeps = policy.keeps(resolver.chains, now: now)
        kept = zip(resolver.chains, keeps).filter { $0.1 }.map(\.0)
        removed = zip(resolver.chains, keeps).filter { !$0.1 }.map(\.0)
        if let oldestKept = kept.first?.full.end {
            removedStrays = resolver.strays.filter { $0.end < oldestKept }
            keptStrays = resolver.strays.filter { $0.end >= oldestKept }
        } else {
            removedStrays = []
            keptStrays = resolver.strays
        }
        var sizes: [String: Int64] = [:]
        for object in objects { sizes[object.name] = object.size }
        self.sizes = sizes
        staying = kept.flatMap(\.sets) + keptStrays
    }

    /// The objects of `set`, its manifest first: once the manifest is gone
    /// the set no longer counts, so an interrupted removal leaves strays
    /// (removed by the next prune), never a set that looks whole and is not.
    static func objects(of set: BackupSet) -> [BackupFileName] {
        [set.manifest, set.signatures].compactMap { $0 } + set.volumes.keys.sorted().compactMap { set.volumes[$0] }
    }

    /// The objects of `chain` in a safe order: each set's manifest, newest
    /// set first (the chain stays restorable up to its last remaining set),
    /// then the rest.
    static func objects(of chain: BackupChain) -> [BackupFileName] {
        let sets = chain.sets.reversed()
        return sets.compactMap(\.manifest) + sets.flatMap { objects(of: $0).filter { $0.kind != .manifest } }
    }

    /// Everything to delete, in order: the chains', then the strays'.
    public var doomedObjects: [BackupFileName] {
        removed.flatMap(Self.objects(of:)) + removedStrays.flatMap(Self.objects(of:))
    }

    func summary(of chain: BackupChain) -> PruneReport.Chain {
        let names = Self.objects(of: chain)
        return PruneReport.Chain(
            full: BackupTime.format(chain.full.end), last: BackupTime.format(chain.end), sets: chain.sets.count,
            objects: names.count, bytes: ByteCount.total(names.map { sizes[$0.name] ?? 0 }))
    }

    func summary(of set: BackupSet) -> PruneReport.IncompleteSet {
        let names = Self.objects(of: set)
        return PruneReport.IncompleteSet(
            label: set.label, time: BackupTime.format(set.end), objects: names.count,
            bytes: ByteCount.total(names.map { sizes[$0.name] ?? 0 }))
    }

    /// The report of this plan (carried out or, for a dry run, not).
    public func report(policy: RetentionPolicy, dryRun: Bool) -> PruneReport {
        PruneReport(
            policy: policy, dryRun: dryRun, removed: removed.map(summary(of:)), kept: kept.map(summary(of:)),
            removedIncomplete: removedStrays.map(summary(of:)), keptIncomplete: keptStrays.map(summary(of:)))
    }

    /// Whether `name` belongs to a set that stays on the target.
    func staysOnTarget(_ name: BackupFileName) -> Bool {
        staying.contains { $0.incremental == name.incremental && $0.start == name.start && $0.end == name.end }
    }
}

/// What a prune removed (or, in a dry run, would remove) and kept, as
/// `bam prune --json` and a backup's outcome show it.
public struct PruneReport: Codable, Sendable, Equatable {
    public struct Chain: Codable, Sendable, Equatable {
        /// The full set's time (duplicity's name for the chain).
        public var full: String
        /// The chain's newest set's time.
        public var last: String
        public var sets: Int
        public var objects: Int
        public var bytes: Int64
    }

    public struct IncompleteSet: Codable, Sendable, Equatable {
        public var label: String
        public var time: String
        public var objects: Int
        public var bytes: Int64
    }

    public var policy: RetentionPolicy
    public var dryRun: Bool
    public var removed: [Chain]
    public var kept: [Chain]
    public var removedIncomplete: [IncompleteSet]
    public var keptIncomplete: [IncompleteSet]

    enum CodingKeys: String, CodingKey {
        case policy, removed, kept
        case dryRun = "dry_run", removedIncomplete = "removed_incomplete", keptIncomplete = "kept_incomplete"
    }

    public var removedObjects: Int { removed.reduce(0) { $0 + $1.objects } + removedIncomplete.reduce(0) { $0 + $1.objects } }
    public var removedBytes: Int64 { ByteCount.total(removed.map(\.bytes) + removedIncomplete.map(\.bytes)) }

    /// The summary a person reads.
    public var text: String {
        let verb = dryRun ? "would remove" : "removed"
        var lines = removed.map { "\(verb) chain \($0.full) to \($0.last): \($0.sets) set(s), \($0.objects) object(s), \(ByteCount.format($0.bytes))" }
        lines += removedIncomplete.map { "\(verb) incomplete \($0.label): \($0.objects) object(s), \(ByteCount.format($0.bytes))" }
        lines += kept.map { "kept chain \($0.full) to \($0.last): \($0.sets) set(s), \(ByteCount.format($0.bytes))" }
        lines += keptIncomplete.map { "kept incomplete \($0.label) (newer than the oldest chain kept)" }
        lines.append(
            "\(policy): \(verb) \(removed.count) chain(s), \(removedObjects) object(s), \(ByteCount.format(removedBytes)); kept \(kept.count) chain(s)"
                + (dryRun ? " (dry run: nothing was changed)" : ""))
        return lines.joined(separator: "\n")
    }
}
