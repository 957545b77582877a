/// Counts of one delta computation and what the walk had to leave out.
public struct FileSystemDeltaSummary: Equatable, Sendable {
    /// Included entries found on the file system.
    public var walkedEntries = 0
    /// Records read from the profile's dirindex.
    public var indexEntries = 0
    /// `o` lines: new or changed files to back up.
    public var overwritten = 0
    /// `s` lines: owner or mode changes and new directories.
    public var statChanged = 0
    /// `d` lines: profile entries gone from the system.
    public var deleted = 0
    /// Files that vanished while being walked, unreadable directories,
    /// names the formats cannot hold: reported, not fatal.
    public var warnings: [WalkWarning] = []

    public init() {}
}
