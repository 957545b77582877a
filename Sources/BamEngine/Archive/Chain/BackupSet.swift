/// One backup session on the target: a full or an incremental set, its
/// volumes, manifest and signatures. Complete once its manifest exists.
public struct BackupSet: Equatable {
    public let incremental: Bool
    public let start: Int64?
    public let end: Int64
    public var volumes: [Int: BackupFileName] = [:]
    public var volumeSizes: [Int: Int64] = [:]
    public var manifest: BackupFileName?
    public var signatures: BackupFileName?

    public init(incremental: Bool, start: Int64?, end: Int64) {
        self.incremental = incremental
        self.start = start
        self.end = end
    }

    public var isComplete: Bool { manifest != nil }

    public var label: String {
        incremental ? "incremental \(BackupTime.format(start ?? 0)) to \(BackupTime.format(end))" : "full \(BackupTime.format(end))"
    }

    /// As the target listed them (`ByteCount.total`: a hostile listing's
    /// sizes cannot trap).
    public var storedSize: Int64 { ByteCount.total(volumeSizes.values) }
}

/// A full set and the incrementals that follow it, each starting where the
/// previous one ended.
public struct BackupChain: Equatable {
    public var full: BackupSet
    public var incrementals: [BackupSet] = []

    public var sets: [BackupSet] { [full] + incrementals }
    public var end: Int64 { incrementals.last?.end ?? full.end }

    /// The sets needed to restore the state at `time`: the full set and the
    /// incrementals up to the last one that ended at or before `time`.
    public func sets(upTo time: Int64) -> [BackupSet] {
        sets.filter { $0.end <= time }
    }
}
