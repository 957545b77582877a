/// Counts of one backup run, for the summary.
public struct BackupStatistics {
    public var sourceFiles = 0
    public var sourceBytes: Int64 = 0
    public var newFiles = 0
    public var changedFiles = 0
    public var deletedFiles = 0
    public var unchangedFiles = 0
    public var deltaBytes: Int64 = 0
    public var volumes = 0
    public var storedBytes: Int64 = 0
    public var warnings: [String] = []

    public init() {}
}
