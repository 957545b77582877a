import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `ArchivePrune` works on: the target, its cache, the policy.
public struct ArchivePruneOptions {
    public var address: String
    public var cacheRoot: String
    public var policy: RetentionPolicy
    /// List what would go; change nothing (not even the lock is taken).
    public var dryRun = false
    /// The time `keep-within` counts back from; nil: now.
    public var now: Int64?
    public var storage = StorageOpenOptions()

    public init(address: String, cacheRoot: String, policy: RetentionPolicy) {
        self.address = address
        self.cacheRoot = cacheRoot
        self.policy = policy
    }
}

/// Applies a retention policy to a target (`PrunePlan` decides what goes):
/// under the target's writer lock, as a backup takes it, so a prune and a
/// backup never interleave, through `StorageBackend` alone, so every target
/// kind prunes alike; the local cache drops what the target no longer has.
public final class ArchivePrune {
    let options: ArchivePruneOptions
    let progress: ProgressReporter

    public init(options: ArchivePruneOptions, progress: ProgressReporter = SilentProgress()) {
        self.options = options
        self.progress = progress
    }

    /// Lists the target first, without writing to it: a dry run, or a
    /// policy that removes nothing, leaves no trace (no lock, no probe, no
    /// directory made for a mistyped address). Only when something is to
    /// go is the lock taken, and the target listed again under it.
    public func run() throws -> PruneReport {
        let backend = try StorageRegistry.open(address: options.address, options: options.storage)
        let now = options.now ?? Int64(time(nil))
        progress.report(.phase("listing target"))
        let objects: [StoredObject]
        do { objects = try backend.list() } catch let error as StorageError { throw BamError.external("prune not started: \(error)") }
        let preview = PrunePlan(objects: objects, policy: options.policy, now: now)
        if options.dryRun || preview.doomedObjects.isEmpty {
            return preview.report(policy: options.policy, dryRun: options.dryRun)
        }
        let lock = try TargetLock.acquire(
            backend: backend, operation: "prune", program: options.storage.program,
            warn: { [progress] in progress.report(.warning($0)) })
        defer { lock.release() }
        let cache = ArchiveCache(root: options.cacheRoot, address: options.address)
        return try Self.prune(backend: backend, lock: lock, cache: cache, policy: options.policy, now: now, progress: progress)
    }

    /// Lists the target and removes what `policy` does not keep. The
    /// caller holds `lock` (a backup calls this before releasing its own);
    /// it is confirmed before the first deletion.
    static func prune(
        backend: StorageBackend, lock: TargetLock, cache: ArchiveCache, policy: RetentionPolicy, now: Int64,
        progress: ProgressReporter
    ) throws -> PruneReport {
        progress.report(.phase("pruning"))
        let plan = PrunePlan(objects: try backend.list(), policy: policy, now: now)
        let doomed = plan.doomedObjects
        if !doomed.isEmpty { try lock.confirmHeld() }
        for name in doomed {
            do { try backend.delete(name: name.name) } catch let error as StorageError {
                throw BamError.external("pruning \(name.name): \(error)")
            }
        }
        try backend.flush()
        try cache.forget { plan.staysOnTarget($0) }
        return plan.report(policy: policy, dryRun: false)
    }
}
