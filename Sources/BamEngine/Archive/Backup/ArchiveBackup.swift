import Deflate
import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

/// When a backup starts a new chain instead of adding an incremental.
public enum FullBackupPolicy: Equatable {
    case always
    /// Full when the chain's full backup is older than this many seconds.
    case olderThan(Int64)

    /// `now` or an age like `1M` (conf's `full-backup`).
    public static func parse(_ text: String) throws -> FullBackupPolicy {
        if text == "now" { return .always }
        return .olderThan(try BackupTime.parseAge(text))
    }
}

public struct ArchiveBackupOptions {
    public var source: String
    public var address: String
    public var cacheRoot: String
    public var volumeSize: Int64 = 25 << 20
    public var fullBackup: FullBackupPolicy = .olderThan(30 * 86400)
    /// gpg processes encrypting volumes at once.
    public var encryptionWorkers = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// How hard volumes are compressed (random and already compressed
    /// data is stored either way).
    public var compression = VolumeCompression.balanced
    public var hostname: String? = nil
    /// Which relative paths of `source` to back up (a directory's answer
    /// covers its walk into it); default: everything. A whole-system
    /// backup selects the changed files and their parent directories.
    public var include: ([UInt8]) -> Bool = { _ in true }
    /// Top-level names read from other directories (see `SourceWalker.grafts`).
    public var grafts: [String: String] = [:]
    /// How the target is opened (credentials' registry, S3 region) and how
    /// many volumes are uploaded at once.
    public var storage = StorageOpenOptions()
    /// Applied once the set is stored, under the same lock; empty: keep
    /// every chain.
    public var retention = RetentionPolicy()

    public init(source: String, address: String, cacheRoot: String) {
        self.source = source
        self.address = address
        self.cacheRoot = cacheRoot
    }
}

public struct ArchiveBackupResult {
    public var incremental: Bool
    public var time: Int64
    public var statistics: BackupStatistics
    /// What the retention policy removed after the backup (nil: no policy).
    public var prune: PruneReport? = nil
    /// Why pruning failed: the backup itself succeeded.
    public var pruneFailure: String? = nil
}

/// A backup of a directory tree to a target as a duplicity-format set: a
/// new full chain or an incremental on the latest chain.
public final class ArchiveBackup {
    let options: ArchiveBackupOptions
    let passphrase: [UInt8]
    let progress: ProgressReporter

    public init(options: ArchiveBackupOptions, passphrase: [UInt8], progress: ProgressReporter = SilentProgress()) {
        self.options = options
        self.passphrase = passphrase
        self.progress = progress
    }

    public func run() throws -> ArchiveBackupResult {
        let backend = try openTarget()
        // Before anything on the target changes (aborting uploads included):
        // another writer's volumes and ours must never mix.
        let lock = try TargetLock.acquire(
            backend: backend, operation: "backup", program: options.storage.program,
            warn: { [progress] in progress.report(.warning($0)) })
        defer { lock.release() }
        try Posix.makeDirectories(options.cacheRoot, mode: 0o700)
        let scratch = try Posix.makeTemporaryDirectory(in: options.cacheRoot, prefix: "scratch-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let crypto = try ArchiveCrypto(passphrase: passphrase, compression: options.compression)
        defer { crypto.close() }
        try abortLeftoverUploads(backend)

        let resolver = ChainResolver(objects: try backend.list())
        let cache = ArchiveCache(root: options.cacheRoot, address: options.address)
        try Posix.makeDirectories(cache.directory, mode: 0o700)
        let journalPath = cache.directory + "/" + BackupResumeJournal.fileName
        let resumed = resumableSet(resolver: resolver, journalPath: journalPath)
        for stray in resolver.strays where stray.end != resumed?.set.end {
            progress.report(.warning("ignoring the unfinished \(stray.label) set on \(backend.address) (an interrupted run)"))
        }
        var (chain, now) = chooseChain(resolver: resolver, resumed: resumed)

        var index = try SignatureChain()
        if let chain {
            progress.report(.phase("reading signatures"))
            let sigtars = try cache.synchronise(chain: chain, backend: backend, cipher: crypto.cipher, scratch: scratch)
            index = try SignatureChain(sigtarFiles: sigtars)
        }
        // Set times are whole seconds and must increase.
        if let last = chain?.end ?? resolver.chains.last?.end {
            while now <= last { sleep(1); now = Int64(time(nil)) }
        }
        let incremental = chain != nil
        let start = chain?.end
        let set = SetNames(incremental: incremental, start: start, end: now)

        let journal = BackupResumeJournal(
            path: journalPath,
            state: resumed?.state
                ?? BackupResumeState(
                    address: options.address, source: options.source, volumeSize: options.volumeSize,
                    incremental: incremental, start: start, time: now))
        try journal.save()

        progress.report(.phase(incremental ? "incremental backup" : "full backup"))
        let uploader = VolumeUploader(
            backend: backend, cipher: crypto.cipher, directory: scratch,
            encryptionWorkers: options.encryptionWorkers,
            uploadWorkers: options.storage.parallelTransfers,
            progress: progress
        ) { set.name(.volume($0)) }
        uploader.journal = journal
        if let resumed {
            uploader.reusable = resumed.stored
            uploader.existing = Set(resumed.set.volumes.keys)
            progress.report(
                .warning("continuing the interrupted \(resumed.set.label) set: \(resumed.stored.count) volume(s) already stored are kept if unchanged"))
        }
        let sigtarPath = scratch + "/signatures.tar"
        let builder = try buildVolumes(previous: index, after: chain?.end, scratch: scratch, sigtarPath: sigtarPath, uploader: uploader)

        // The signatures are complete once the walk is: encrypt them while
        // the last volumes are still encrypting, not after them.
        let sigName = set.name(.signatures)
        let sigEncrypted = scratch + "/" + sigName.name
        let sigEncryption = BackgroundTask { try Self.encryptFile(crypto.cipher, from: sigtarPath, to: sigEncrypted) }
        var manifest = Manifest(
            hostname: options.hostname ?? ProcessInfo.processInfo.hostName,
            localDirectory: Array(options.source.utf8))
        do { manifest.volumes = try uploader.finish() } catch { try? sigEncryption.wait(); throw error }
        try sigEncryption.wait()
        let plainManifest = scratch + "/manifest"
        try builder.builder.fileList.writeManifest(manifest, to: plainManifest)

        progress.report(.phase("storing signatures and manifest"))
        // Volumes of the interrupted run past this set's last one (the
        // source shrank since) would be strays next to the manifest.
        if let resumed {
            for (number, stale) in resumed.set.volumes where number > manifest.volumes.count {
                try backend.delete(name: stale.name)
            }
        }
        try backend.store(name: sigName.name, movingFile: sigEncrypted)
        try commit(plainManifest, as: set.name(.manifest), backend: backend, lock: lock, crypto: crypto, scratch: scratch)
        try cache.store(sigName, movingPlainFile: sigtarPath)
        try cache.store(set.name(.manifest), movingPlainFile: plainManifest)
        journal.remove()

        var stats = builder.builder.statistics
        stats.warnings = builder.walkWarnings + stats.warnings
        stats.volumes = manifest.volumes.count
        stats.storedBytes = uploader.storedBytes
        var result = ArchiveBackupResult(incremental: incremental, time: now, statistics: stats)
        if !options.retention.isEmpty {
            // The set is stored: a failure from here on is a warning, not a
            // failed backup (the next backup or `bam prune` tries again).
            do {
                result.prune = try ArchivePrune.prune(
                    backend: backend, lock: lock, cache: cache, policy: options.retention, now: Int64(time(nil)), progress: progress)
            } catch {
                let failure = "the backup is stored, but pruning old chains failed: \(error)"
                progress.report(.warning(failure))
                result.pruneFailure = failure
                result.statistics.warnings.append(failure)
            }
        }
        return result
    }

    /// The names of the set this run writes.
    private struct SetNames {
        let incremental: Bool
        let start: Int64?
        let end: Int64

        func name(_ kind: BackupFileName.Kind) -> BackupFileName {
            BackupFileName(kind: kind, incremental: incremental, start: start, end: end)
        }
    }

    /// Opens the target and checks it before any work: a wrong host,
    /// bucket, key or permission fails here in seconds, not after the first
    /// volume is built.
    private func openTarget() throws -> StorageBackend {
        let backend = try StorageRegistry.open(address: options.address, options: options.storage)
        progress.report(.phase("checking target"))
        do {
            try backend.preflight()
        } catch let error as StorageError {
            throw BamError.external("backup not started: \(error)")
        }
        return backend
    }

    /// An interrupted run may have left multipart uploads: nothing can
    /// complete them, and they stay billed until aborted.
    private func abortLeftoverUploads(_ backend: StorageBackend) throws {
        let aborted = try backend.abortUnfinishedUploads()
        if aborted > 0 {
            progress.report(.warning("aborted \(aborted) unfinished upload(s) left on \(backend.address) by an interrupted run"))
        }
    }

    /// The chain this run continues (nil: a full backup) and its time: the
    /// interrupted set's when resuming, else now, with a new full backup
    /// when the policy asks for one.
    private func chooseChain(resolver: ChainResolver, resumed: (state: BackupResumeState, set: BackupSet, stored: [Int: BackupResumeState.Volume])?)
        -> (chain: BackupChain?, time: Int64)
    {
        var now = Int64(time(nil))
        var chain = resolver.latest
        if let resumed {
            now = resumed.state.time
            if !resumed.state.incremental { chain = nil }
        } else {
            if let c = chain, case .olderThan(let age) = options.fullBackup, c.full.end < now - age { chain = nil }
            if options.fullBackup == .always { chain = nil }
        }
        return (chain, now)
    }

    /// Walks the source against the previous signatures and builds the
    /// volumes (handed to `uploader` as they fill) and the new signatures.
    /// The walk and its merge run on a thread of their own, reading ahead
    /// the files the builder will read.
    private func buildVolumes(
        previous: SignatureChain, after previousEnd: Int64?, scratch: String, sigtarPath: String,
        uploader: VolumeUploader
    ) throws -> (builder: DifftarBuilder, walkWarnings: [String]) {
        var walker = SourceWalker(root: Array(options.source.utf8))
        walker.include = options.include
        walker.grafts = Dictionary(uniqueKeysWithValues: options.grafts.map { (Array($0.key.utf8), Array($0.value.utf8)) })
        let builder = DifftarBuilder(
            locate: { [walker] in walker.absolute($0) },
            volumes: VolumeWriter(directory: scratch, limit: options.volumeSize),
            signatures: try BufferedFileWriter(creating: sigtarPath),
            fileList: try ManifestFileList(path: scratch + "/filelist"),
            progress: progress,
            onVolume: { try uploader.submit($0) })
        builder.racyAfter = previousEnd ?? .max
        var walkWarnings: [String] = []
        let queue = ReadAheadQueue()
        let walk = BackgroundTask { [walker] in
            do {
                try walker.walk(
                    visit: { entry in
                        while let gone = try previous.peek(), PathOrder.less(gone.path, entry.path) {
                            try queue.put(.entry(nil, previous: try previous.next()))
                        }
                        var match: SignatureEntry?
                        if let same = try previous.peek(), same.path == entry.path {
                            match = try previous.next()
                        }
                        if builder.willRead(entry, previous: match) {
                            try queue.put(.entry(entry, previous: match), readAhead: walker.absolute(entry.path), bytes: entry.size)
                        } else {
                            try queue.put(.entry(entry, previous: match))
                        }
                    },
                    warning: { message in
                        try? queue.put(.warning(message))
                    })
                while let gone = try previous.next() {
                    try queue.put(.entry(nil, previous: gone))
                }
                queue.finish(nil)
            } catch {
                queue.finish(error)
            }
        }
        do {
            while let item = try queue.take() {
                switch item {
                case let .entry(entry, previous):
                    try builder.process(entry: entry, previous: previous)
                case let .warning(message):
                    walkWarnings.append(message)
                    progress.report(.warning(message))
                }
            }
            try walk.wait()
            try builder.finish()
        } catch {
            queue.cancel()
            try? walk.wait()
            _ = try? uploader.finish()
            throw error
        }
        return (builder, walkWarnings)
    }

    /// Stores the manifest, which marks the set complete: everything before
    /// it must be durable first, and the lock still ours.
    private func commit(
        _ plainManifest: String, as name: BackupFileName, backend: StorageBackend, lock: TargetLock,
        crypto: ArchiveCrypto, scratch: String
    ) throws {
        let encrypted = scratch + "/" + name.name
        try Self.encryptFile(crypto.cipher, from: plainManifest, to: encrypted, what: "the manifest")
        try backend.flush()
        try lock.confirmHeld()
        try backend.store(name: name.name, movingFile: encrypted)
        try backend.flush()
    }

    /// The set an interrupted run of this same backup left unfinished, with
    /// the volumes of it the target holds as recorded; nil (and the resume
    /// file removed) when there is nothing that can be continued.
    private func resumableSet(resolver: ChainResolver, journalPath: String)
        -> (state: BackupResumeState, set: BackupSet, stored: [Int: BackupResumeState.Volume])?
    {
        guard let state = BackupResumeJournal.load(journalPath, warning: { progress.report(.warning($0)) }) else { return nil }
        func discard(_ why: String?) -> (state: BackupResumeState, set: BackupSet, stored: [Int: BackupResumeState.Volume])? {
            if let why { progress.report(.warning("not continuing the interrupted backup of \(BackupTime.display(state.time)): \(why)")) }
            unlink(journalPath)
            return nil
        }
        guard state.matches(source: options.source, address: options.address, volumeSize: options.volumeSize) else {
            return discard(nil)  // another backup's record: start afresh
        }
        if options.fullBackup == .always && state.incremental { return discard("a full backup was asked for") }
        guard
            let set = resolver.strays.first(where: {
                $0.end == state.time && $0.incremental == state.incremental && $0.start == state.start
            })
        else {
            return discard(nil)  // completed, or nothing of it reached the target
        }
        if let last = resolver.chains.last, last.end >= state.time {
            return discard("the target has a newer backup")
        }
        if state.incremental && resolver.latest?.end != state.start {
            return discard("the chain it continued has changed")
        }
        var stored: [Int: BackupResumeState.Volume] = [:]
        for volume in state.volumes where set.volumeSizes[volume.number] == volume.storedSize {
            stored[volume.number] = volume
        }
        return (state, set, stored)
    }

    private static func encryptFile(_ cipher: SymmetricCipher, from: String, to: String, what: String = "signatures") throws {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: from, operation: "open", errno: errno) }
        defer { close(input) }
        let output = try BufferedFileWriter(creating: to)
        do {
            try cipher.encrypt(inputFD: input, compress: true) { try output.write($0) }
        } catch let error as GPGError {
            throw BamError.external("encrypting \(what): \(error)")
        }
        try output.close()
    }
}
