import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lock every writer of a target holds: an object `bam-lock` beside
/// the archive (duplicity and `BackupFileName.parse` ignore the name), so
/// it holds across machines and registries, which a local flock cannot.
///
/// Taking it is a create-if-absent of the object (`StorageBackend.create`):
/// a hard link on a file system, a PUT with `If-None-Match: *` on S3. Both
/// are exclusive: of two writers exactly one creates it. On an S3 server
/// that ignores the header (`createIsExclusive()` probes it) the creator
/// waits `settleDelay` and reads the object back: the last writer's id is
/// there, so only that writer goes on. That leaves a window: a writer whose
/// check that the object is absent and whose PUT are further apart than
/// `settleDelay` (a stalled request) can still overwrite a lock that was
/// confirmed; the overwritten holder then finds it at its next heartbeat or
/// at the latest by `confirmHeld()` before it stores its manifest, and
/// fails without completing its set.
///
/// The holder rewrites the object every `refreshInterval` with a new
/// heartbeat. A lock is stale, and taken over with a warning, when its
/// holder is a process of this very machine (same host name and boot id)
/// that no longer exists, or when its heartbeat is older than `staleAfter`.
/// Deleting the stale lock and creating one's own are two steps, so a
/// takeover first creates a claim object named after the stale lock's id
/// (`bam-lock.takeover-<id>`), with the same exclusive create: of many
/// writers that found one stale lock, only the one that made the claim may
/// delete it; the others fail as they would on a live lock. The claim
/// stays while the taker holds the lock (a writer that saw the stale lock
/// long ago cannot claim it again) and goes with its release. The taker
/// re-reads the lock after claiming and deletes it only if it is still the
/// stale one, then creates its own, waits `settleDelay` and reads back. A
/// holder that was silent that long and renews its heartbeat just as it is
/// taken over overwrites the taker's lock; the taker's read-back then finds
/// the holder and fails, so still only one writer goes on.
///
/// A lock whose content bam did not write (garbage, hostile bytes, too
/// large) is never taken over: the writer fails and the message says so.
public final class TargetLock: @unchecked Sendable {
    public static let objectName = "bam-lock"

    public struct Timing: Sendable {
        /// How often the holder renews its heartbeat.
        public var refreshInterval: TimeInterval = 60
        /// A heartbeat older than this (seconds) is a dead holder's.
        public var staleAfter: Int64 = 15 * 60
        /// How long a writer waits before reading back a lock it could not
        /// create exclusively.
        public var settleDelay: TimeInterval = 2

        public init() {}
    }

    public let backend: StorageBackend
    public let holder: TargetLockHolder
    private let timing: Timing
    private let warn: (String) -> Void

    private let state = NSLock()
    private var lostReason: String?
    private var released = false
    /// The claims this run made to take over a stale lock: kept while the
    /// lock is held (so that no writer that saw the stale lock long ago can
    /// claim it again), removed with it.
    private var claims: [String] = []
    private let stopRefreshing = DispatchSemaphore(value: 0)
    private let refresherDone = DispatchSemaphore(value: 0)

    private init(backend: StorageBackend, holder: TargetLockHolder, timing: Timing, warn: @escaping (String) -> Void) {
        self.backend = backend
        self.holder = holder
        self.timing = timing
        self.warn = warn
    }

    /// Takes the target's lock for `operation` (taking over a stale one,
    /// with a warning) and starts its heartbeat; throws `BamError.locked`
    /// naming the holder when another writer has it.
    public static func acquire(
        backend: StorageBackend, operation: String, program: String,
        timing: Timing = Timing(), warn: @escaping (String) -> Void
    ) throws -> TargetLock {
        let mine = TargetLockHolder.current(operation: operation, program: program, now: Int64(time(nil)))
        let lock = TargetLock(backend: backend, holder: mine, timing: timing, warn: warn)
        try storage { try lock.take() }
        Thread { lock.refreshUntilReleased() }.start()
        return lock
    }

    /// Fails unless the lock is still this run's: called before a writer
    /// commits (stores a manifest), so that a writer that lost its lock
    /// never completes a set over another's.
    public func confirmHeld() throws {
        state.lock()
        let lost = lostReason
        state.unlock()
        if let lost { throw BamError.locked(lost) }
        let current = try Self.storage { try readHolder() }
        guard case .holder(let other) = current, other.id == holder.id else {
            throw BamError.locked(lostMessage(current))
        }
    }

    /// Stops the heartbeat and deletes the lock object if it is still this
    /// run's (a takeover may have replaced it). Failures are warnings: the
    /// lock then goes stale and is taken over later. Call it once the run
    /// ends, failed or not (the heartbeat thread keeps the lock alive).
    public func release() {
        state.lock()
        let first = !released
        released = true
        state.unlock()
        guard first else { return }
        stopRefreshing.signal()
        refresherDone.wait()
        do {
            if case .holder(let other) = try readHolder(), other.id == holder.id {
                try backend.delete(name: Self.objectName)
            }
        } catch {
            warn("could not remove the lock \(Self.objectName) from \(backend.address): \(error); it is taken over once stale")
        }
        removeClaims()
    }

    /// Removes this run's takeover claims, if it made any.
    private func removeClaims() {
        state.lock()
        let mine = claims
        claims = []
        state.unlock()
        for claim in mine.reversed() {
            do { try backend.delete(name: claim) } catch {
                warn("could not remove the takeover claim \(claim) from \(backend.address): \(error); it can be deleted")
            }
        }
    }

    // MARK: Taking

    /// The claim a taker makes on the stale lock of `stale` before deleting it.
    static func claimName(of stale: TargetLockHolder) -> String {
        "\(objectName).takeover-\(stale.id)"
    }

    /// Whether `name` is the lock or a takeover claim: bam's, never an
    /// archive file.
    public static func isLockObject(_ name: String) -> Bool {
        name == objectName || name.hasPrefix(objectName + ".takeover-")
    }

    private enum Content {
        case absent
        case unreadable(size: Int)
        case holder(TargetLockHolder)
    }

    private func readHolder(_ name: String = objectName) throws -> Content {
        guard let bytes = try backend.read(name: name, limit: TargetLockHolder.sizeLimit) else { return .absent }
        guard let other = TargetLockHolder.parse(bytes) else { return .unreadable(size: bytes.count) }
        return .holder(other)
    }

    private func take() throws {
        do { try takeRounds() } catch {
            removeClaims()
            throw error
        }
    }

    private func takeRounds() throws {
        let exclusive = try backend.createIsExclusive()
        // Each round ends with the lock taken, a refusal, or a lock that
        // changed under us (released or taken over): look again.
        for _ in 0..<5 {
            if try backend.create(name: Self.objectName, contents: holder.render()) {
                if !exclusive { try settleAndConfirm() }
                return
            }
            let now = Int64(time(nil))
            let other: TargetLockHolder
            switch try readHolder() {
            case .absent: continue
            case .unreadable(let size):
                throw BamError.locked(
                    "\(backend.address) holds a lock object \(Self.objectName) (\(size) bytes) that bam did not write; "
                        + "if no backup is writing to this target, delete it")
            case .holder(let found): other = found
            }
            // A create retried after its answer was lost finds itself.
            if other.id == holder.id { return }
            guard let reason = staleness(of: other, now: now) else {
                throw BamError.locked(
                    "\(backend.address) is locked by another writer: \(other.describe(now: now)); "
                        + "try again when it has finished (a lock with no heartbeat for \(timing.staleAfter / 60) min is taken over)")
            }
            guard try removeStale(Self.objectName, heldBy: other, depth: 0) else { continue }
            warn("taking over the stale lock on \(backend.address) of \(other.describe(now: now)): \(reason)")
            if try backend.create(name: Self.objectName, contents: holder.render()) {
                try settleAndConfirm()
                return
            }
        }
        throw BamError.locked("\(backend.address): the lock \(Self.objectName) kept changing hands; another writer is busy with this target")
    }

    /// Deletes object `name` (the lock, or a claim) which was seen held by
    /// the stale `stale`, if this run wins the claim on it and it is still
    /// that holder's; false when it changed meanwhile (look again). A claim
    /// left by a taker that died before finishing is stale by the same
    /// rules as a lock, and is removed the same way, through a claim on it.
    private func removeStale(_ name: String, heldBy stale: TargetLockHolder, depth: Int) throws -> Bool {
        let claim = Self.claimName(of: stale)
        if try backend.create(name: claim, contents: holder.render()) {
            state.lock()
            claims.append(claim)
            state.unlock()
        } else {
            let now = Int64(time(nil))
            switch try readHolder(claim) {
            case .absent: return false
            case .unreadable(let size):
                throw BamError.locked(
                    "\(backend.address) holds a takeover claim \(claim) (\(size) bytes) that bam did not write; "
                        + "if no backup is writing to this target, delete it")
            case .holder(let claimant):
                guard claimant.id != holder.id else { break }
                guard depth < 2, staleness(of: claimant, now: now) != nil else {
                    throw BamError.locked(
                        "\(backend.address) is being taken over by another writer from a stale lock: "
                            + "\(claimant.describe(now: now)); try again later")
                }
                _ = try removeStale(claim, heldBy: claimant, depth: depth + 1)
                return false
            }
        }
        // Delete only what was seen stale: its holder may have released
        // it, and another writer made a fresh one, in the meantime.
        guard case .holder(let again) = try readHolder(name), again.id == stale.id else { return false }
        try backend.delete(name: name)
        return true
    }

    /// Why `other` is stale, or nil when it may still be writing.
    private func staleness(of other: TargetLockHolder, now: Int64) -> String? {
        if other.host == holder.host, !other.bootID.isEmpty, other.bootID == holder.bootID, other.pid != holder.pid,
            kill(other.pid, 0) != 0, errno == ESRCH
        {
            return "its process is gone from this machine"
        }
        let age = now - other.heartbeat
        if age > timing.staleAfter { return "no heartbeat for \(age / 60) min" }
        return nil
    }

    private func settleAndConfirm() throws {
        Thread.sleep(forTimeInterval: timing.settleDelay)
        let current = try readHolder()
        guard case .holder(let other) = current, other.id == holder.id else {
            let now = Int64(time(nil))
            if case .holder(let other) = current {
                throw BamError.locked("\(backend.address) is locked by another writer that took it at the same time: \(other.describe(now: now))")
            }
            throw BamError.locked("\(backend.address): the lock \(Self.objectName) changed while it was being taken; another writer is busy with this target")
        }
    }

    private func lostMessage(_ current: Content) -> String {
        let now = Int64(time(nil))
        let situation: String
        switch current {
        case .absent: situation = "the lock object was removed"
        case .unreadable: situation = "the lock object was replaced by one bam did not write"
        case .holder(let other): situation = "it is now held by \(other.describe(now: now))"
        }
        return "lost the lock on \(backend.address) while writing (\(situation)); this run's set was not completed"
    }

    // MARK: Heartbeat

    private func refreshUntilReleased() {
        defer { refresherDone.signal() }
        while stopRefreshing.wait(timeout: .now() + timing.refreshInterval) == .timedOut {
            do {
                let current = try readHolder()
                guard case .holder(let other) = current, other.id == holder.id else {
                    state.lock()
                    lostReason = lostMessage(current)
                    state.unlock()
                    return
                }
                var renewed = holder
                renewed.heartbeat = Int64(time(nil))
                try backend.write(name: Self.objectName, contents: renewed.render())
            } catch {
                // A passing failure: the next round tries again, and a
                // holder silent for `staleAfter` is taken over anyway.
                warn("could not renew the lock on \(backend.address): \(error)")
            }
        }
    }

    /// Storage errors as they reach users of the lock: a `BamError`.
    private static func storage<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StorageError {
            throw BamError.external("the lock \(objectName): \(error)")
        }
    }
}
