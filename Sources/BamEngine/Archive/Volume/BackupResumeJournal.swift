import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The resume file of one target (`<cache>/<target>/backup-resume.json`,
/// mode 0600), rewritten atomically each time a volume is encrypted, so a
/// run killed at any point leaves a consistent record. Thread-safe: upload
/// workers record volumes concurrently.
final class BackupResumeJournal: @unchecked Sendable {
    static let fileName = "backup-resume.json"

    let path: String
    private let lock = NSLock()
    private var state: BackupResumeState

    init(path: String, state: BackupResumeState) {
        self.path = path
        self.state = state
    }

    /// The recorded state, nil when there is none; a damaged file is
    /// reported through `warning` and ignored (the backup starts over).
    static func load(_ path: String, warning: (String) -> Void) -> BackupResumeState? {
        guard Posix.fileExists(path) else { return nil }
        do {
            return try JSONDecoder().decode(BackupResumeState.self, from: Data(try Posix.readFile(path)))
        } catch {
            warning("ignoring the unreadable resume file \(path): \(error)")
            return nil
        }
    }

    var current: BackupResumeState {
        lock.lock(); defer { lock.unlock() }
        return state
    }

    func save() throws {
        lock.lock(); defer { lock.unlock() }
        try write()
    }

    /// Records (or replaces) a volume before it is uploaded: on rerun it
    /// counts as stored only if the target holds it with `storedSize` bytes.
    func record(_ volume: BackupResumeState.Volume) throws {
        lock.lock(); defer { lock.unlock() }
        state.volumes.removeAll { $0.number == volume.number }
        state.volumes.append(volume)
        state.volumes.sort { $0.number < $1.number }
        try write()
    }

    /// The set is complete: nothing is left to resume.
    func remove() {
        lock.lock(); defer { lock.unlock() }
        unlink(path)
    }

    private func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Posix.writeFileAtomically(path, Array(try encoder.encode(state)), mode: 0o600)
    }
}
