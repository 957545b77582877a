import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

public struct ArchiveRestoreOptions {
    public var address: String
    public var destination: String
    /// Restore the state at this time (default: the latest).
    public var time: Int64?
    /// Restore only this relative path; the destination becomes it.
    public var path: [UInt8]?
    /// Allow a destination that exists and is not empty.
    public var force = false
    /// Refuse device nodes, FIFOs and setuid/setgid files in the archive
    /// (exit 13) instead of restoring them as duplicity does.
    public var refuseSpecialFiles = false
    public var scratchRoot: String
    /// Volumes downloaded and decrypted ahead of the one being applied.
    public var prefetch = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// How the target is opened (credentials' registry, S3 region) and how
    /// many ranges of a large volume are fetched at once.
    public var storage = StorageOpenOptions()

    public init(address: String, destination: String, scratchRoot: String) {
        self.address = address
        self.destination = destination
        self.scratchRoot = scratchRoot
    }
}

public struct ArchiveRestoreResult {
    public var time: Int64
    public var sets: Int
    public var volumes: Int
    public var files: Int
    public var bytes: Int64
    public var downloadedBytes: Int64
}

/// Restores a directory tree from a target's chain at a point in time.
public final class ArchiveRestore {
    let options: ArchiveRestoreOptions
    let passphrase: [UInt8]
    let progress: ProgressReporter

    public init(options: ArchiveRestoreOptions, passphrase: [UInt8], progress: ProgressReporter = SilentProgress()) {
        self.options = options
        self.passphrase = passphrase
        self.progress = progress
    }

    /// The sets to apply for `time`, from the target's listing.
    static func selectSets(_ resolver: ChainResolver, time: Int64?, address: String) throws -> [BackupSet] {
        let when = time ?? Int64.max
        guard let chain = resolver.chain(at: when) else {
            if resolver.chains.isEmpty { throw BamError.missing(what: "a complete backup in \(address)") }
            throw BamError.missing(
                what: "a backup at or before \(BackupTime.display(when)) in \(address) (the oldest is \(BackupTime.display(resolver.chains[0].full.end)))")
        }
        return chain.sets(upTo: when)
    }

    public func run() throws -> ArchiveRestoreResult {
        let backend = try StorageRegistry.open(address: options.address, options: options.storage)
        progress.report(.phase("reading the target"))
        let resolver = ChainResolver(objects: try backend.list())
        let sets = try ArchiveRestore.selectSets(resolver, time: options.time, address: backend.address)

        try checkDestination()
        try Posix.makeDirectories(options.scratchRoot, mode: 0o700)
        let scratch = try Posix.makeTemporaryDirectory(in: options.scratchRoot, prefix: "restore-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let crypto = try ArchiveCrypto(passphrase: passphrase)
        defer { crypto.close() }

        // Manifests first: the first decryption also proves the passphrase.
        var references: [VolumeReference] = []
        var setEnds: [Int] = []
        for set in sets {
            guard let manifestName = set.manifest else { continue }
            let plain = try ArchiveCache.fetchPlain(manifestName, backend: backend, cipher: crypto.cipher, scratch: scratch)
            let manifest = try Manifest.parse(plain, label: "\(backend.address)/\(manifestName.name)")
            for volume in manifest.volumes where mayHoldSelection(volume) {
                guard let name = set.volumes[volume.number] else {
                    let expected = BackupFileName(kind: .volume(volume.number), incremental: set.incremental, start: set.start, end: set.end)
                    throw BamError.missing(
                        what: "volume \(expected.name) (number \(volume.number) of the \(set.label) set, listed in its manifest) in \(backend.address)")
                }
                references.append(VolumeReference(name: name, sha1: volume.sha1, setLabel: set.label))
            }
            for n in set.volumes.keys where n > manifest.volumes.count {
                progress.report(.warning("volume \(n) of the \(set.label) set is not in its manifest; ignored"))
            }
            setEnds.append(references.count)
        }

        progress.report(.phase("restoring"))
        let parent = (options.destination as NSString).deletingLastPathComponent
        let base = Array((options.destination as NSString).lastPathComponent.utf8)
        try Posix.makeDirectories(parent.isEmpty ? "." : parent, mode: 0o755)
        let tree = try DestinationTree(root: parent.isEmpty ? "." : parent)
        let applier = ArchiveApplier(
            tree: tree, base: base, selection: options.path,
            refuseSpecialFiles: options.refuseSpecialFiles, progress: progress)
        let fetcher = VolumeFetcher(
            backend: backend, cipher: crypto.cipher, scratch: scratch, volumes: references, ahead: options.prefetch,
            rangeTransfers: options.storage.parallelTransfers)
        progress.report(.expected(bytes: nil, volumes: references.count))
        do {
            var setIndex = 0
            for i in references.indices {
                let plain = try fetcher.plainVolume(i)
                defer { unlink(plain) }
                let fd = open(plain, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw BamError.io(path: plain, operation: "open", errno: errno) }
                defer { close(fd) }
                let label = "\(backend.address)/\(references[i].name.name)"
                try applier.apply(volume: TarReader(fd: fd, label: label), label: label)
                while setIndex < setEnds.count && setEnds[setIndex] == i + 1 {
                    try applier.finishSet(label: references[i].setLabel)
                    setIndex += 1
                }
                progress.report(.volume(number: i + 1, bytes: 0))
            }
            try applier.finish()
        } catch {
            fetcher.cancel()
            applier.abandon()
            throw error
        }
        if let selection = options.path, applier.files == 0, !Posix.fileExists(options.destination) {
            throw BamError.missing(what: "\(Posix.display(selection)) in the backup")
        }
        return ArchiveRestoreResult(
            time: sets.last!.end, sets: sets.count, volumes: references.count,
            files: applier.files, bytes: applier.bytes, downloadedBytes: fetcher.fetchedBytes)
    }

    /// A volume may hold the selection when its path range overlaps the
    /// selection's subtree (manifest ranges are exact, as duplicity's).
    private func mayHoldSelection(_ v: VolumeInfo) -> Bool {
        guard let s = options.path else { return true }
        if PathOrder.less(v.endPath, s) { return false }  // ends before it
        if PathOrder.less(s, v.startPath) && !PathOrder.isWithin(v.startPath, s) { return false }  // starts after its subtree
        return true
    }

    private func checkDestination() throws {
        let dest = Array(options.destination.utf8)
        guard let st = try Posix.lstatIfExists(dest) else { return }
        if options.force { return }
        if (st.st_mode & S_IFMT) == S_IFDIR, try Posix.listDirectory(dest).isEmpty { return }
        throw BamError.invalid("restore destination \(options.destination) exists and is not an empty directory (use --force to restore over it)")
    }
}
