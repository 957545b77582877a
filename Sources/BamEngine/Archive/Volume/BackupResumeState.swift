import Foundation

/// What an interrupted backup leaves in the cache so that a rerun with the
/// same source and target continues the same set (same time stamp) instead
/// of starting over: the set's identity and each volume it encrypted.
///
/// A volume is reused on rerun only when the rebuilt plain tar has the same
/// SHA-1 and size as the recorded one and the target holds the object with
/// the recorded size. duplicity instead skips the walk up to the last
/// volume's end position and trusts that nothing changed; comparing the
/// plain content keeps volumes and the (always rebuilt) signatures
/// consistent when a file did change between the runs.
struct BackupResumeState: Codable, Equatable {
    static let currentVersion = 1

    var version = BackupResumeState.currentVersion
    var address: String
    var source: String
    var volumeSize: Int64
    var incremental: Bool
    /// The chain's end time an incremental continues from.
    var start: Int64?
    /// The set's time stamp (its end).
    var time: Int64
    var volumes: [Volume] = []

    struct Volume: Codable, Equatable {
        var number: Int
        /// SHA-1 and size of the plain tar before encryption.
        var plainSHA1: String
        var plainSize: Int64
        /// Size and SHA-1 of the encrypted object as stored.
        var storedSize: Int64
        var sha1: String
        var startPath: Data
        var startBlock: Int?
        var endPath: Data
        var endBlock: Int?

        var info: VolumeInfo {
            VolumeInfo(
                number: number, startPath: Array(startPath), startBlock: startBlock,
                endPath: Array(endPath), endBlock: endBlock, sha1: sha1)
        }
    }

    /// Whether this state belongs to a backup of `source` to `address` cut
    /// into volumes of `volumeSize` (anything else cannot be continued).
    func matches(source: String, address: String, volumeSize: Int64) -> Bool {
        version == BackupResumeState.currentVersion && self.source == source
            && self.address == address && self.volumeSize == volumeSize
    }
}
