/// Checks a backup end to end: every volume's hash, decryption and the
/// application of the whole chain (by restoring into scratch space), and
/// optionally that the result equals a directory.
public final class ArchiveVerify {
    let options: ArchiveRestoreOptions
    let compareWith: String?
    let passphrase: [UInt8]
    let progress: ProgressReporter

    public init(
        address: String, time: Int64?, compareWith: String?, scratchRoot: String, storage: StorageOpenOptions, passphrase: [UInt8],
        progress: ProgressReporter = SilentProgress()
    ) {
        var options = ArchiveRestoreOptions(address: address, destination: "", scratchRoot: scratchRoot)
        options.time = time
        options.storage = storage
        self.options = options
        self.compareWith = compareWith
        self.passphrase = passphrase
        self.progress = progress
    }

    public struct Result {
        public var restore: ArchiveRestoreResult
        public var differences: [String]
    }

    public func run() throws -> Result {
        try Posix.makeDirectories(options.scratchRoot, mode: 0o700)
        let scratch = try Posix.makeTemporaryDirectory(in: options.scratchRoot, prefix: "verify-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        var restoreOptions = options
        restoreOptions.destination = scratch + "/tree"
        let restored = try ArchiveRestore(options: restoreOptions, passphrase: passphrase, progress: progress).run()
        var differences: [String] = []
        if let compareWith {
            progress.report(.phase("comparing"))
            differences = try TreeComparer(expected: compareWith, actual: restoreOptions.destination).differences()
        }
        return Result(restore: restored, differences: differences)
    }
}
