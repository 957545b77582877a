import Crypto
import Dispatch
import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

/// Encrypts and stores finished volumes on worker threads while the next
/// volume is being built, as a two-stage pipeline: `encryptionWorkers` gpg
/// processes at once, then `uploadWorkers` uploads at once. A worker that
/// has encrypted its volume keeps its encryption slot until an upload slot
/// is free, so a slow target holds the builder back instead of filling the
/// disk: at most `encryptionWorkers + uploadWorkers` volumes are in flight,
/// plus the one being built.
///
/// On a resumed backup, a rebuilt volume whose plain tar has the SHA-1 and
/// size recorded by the interrupted run, and that the target holds, is not
/// encrypted or uploaded again: its recorded manifest entry is reused.
final class VolumeUploader {
    private let backend: StorageBackend
    private let cipher: SymmetricCipher
    private let directory: String
    private let name: (Int) -> BackupFileName
    private let progress: ProgressReporter
    private let encryptSlots: DispatchSemaphore
    private let uploadSlots: DispatchSemaphore
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "bam.volume-upload", attributes: .concurrent)
    private let lock = NSLock()
    private var results: [Int: VolumeInfo] = [:]
    private var failure: Error?
    private(set) var storedBytes: Int64 = 0
    private(set) var reusedVolumes = 0

    /// The resume file to record each encrypted volume in.
    var journal: BackupResumeJournal?
    /// Volumes the interrupted run stored (by number), reusable when unchanged.
    var reusable: [Int: BackupResumeState.Volume] = [:]
    /// Volume numbers of this set the target held when the run started:
    /// such an object is deleted before its volume is recorded again, so a
    /// recorded volume found on the target is always the recorded one.
    var existing: Set<Int> = []

    init(
        backend: StorageBackend, cipher: SymmetricCipher, directory: String, encryptionWorkers: Int,
        uploadWorkers: Int, progress: ProgressReporter, name: @escaping (Int) -> BackupFileName
    ) {
        self.backend = backend
        self.cipher = cipher
        self.directory = directory
        self.name = name
        self.progress = progress
        encryptSlots = DispatchSemaphore(value: max(1, encryptionWorkers))
        uploadSlots = DispatchSemaphore(value: max(1, uploadWorkers))
    }

    private func firstFailure() -> Error? {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    func submit(_ volume: PlainVolume) throws {
        if let failure = firstFailure() { unlink(volume.path); throw failure }
        encryptSlots.wait()
        if let failure = firstFailure() { encryptSlots.signal(); unlink(volume.path); throw failure }
        group.enter()
        queue.async {
            var holdsEncryptSlot = true
            defer {
                if holdsEncryptSlot { self.encryptSlots.signal() }
                self.group.leave()
            }
            do {
                let info = try self.process(volume) {
                    // Encrypted: trade the encryption slot for an upload slot.
                    self.uploadSlots.wait()
                    self.encryptSlots.signal()
                    holdsEncryptSlot = false
                }
                self.lock.lock(); self.results[volume.number] = info; self.lock.unlock()
            } catch {
                self.lock.lock(); if self.failure == nil { self.failure = error }; self.lock.unlock()
            }
            if !holdsEncryptSlot { self.uploadSlots.signal() }
            unlink(volume.path)
        }
    }

    /// Waits for every volume; returns their manifest entries in order.
    func finish() throws -> [VolumeInfo] {
        group.wait()
        if let failure = firstFailure() { throw failure }
        return results.keys.sorted().map { results[$0]! }
    }

    private func process(_ volume: PlainVolume, encrypted: () -> Void) throws -> VolumeInfo {
        let target = name(volume.number)
        let plain = try FileDigest.sha1(volume.path)
        if let recorded = reusable[volume.number], recorded.plainSHA1 == plain.sha1, recorded.plainSize == plain.size {
            lock.lock(); reusedVolumes += 1; lock.unlock()
            progress.report(.volume(number: volume.number, bytes: 0))
            return recorded.info
        }

        let encryptedPath = "\(directory)/\(target.name)"
        let input = open(volume.path, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: volume.path, operation: "open", errno: errno) }
        defer { close(input) }
        let output = try BufferedFileWriter(creating: encryptedPath)
        var hash = Insecure.SHA1()
        do {
            try cipher.encrypt(inputFD: input, compress: true) { piece in
                hash.update(bufferPointer: piece)
                try output.write(piece)
            }
            try output.close()
        } catch let error as GPGError {
            try? output.close(); unlink(encryptedPath)
            throw BamError.external("encrypting volume \(volume.number): \(error)")
        }
        let size = output.written
        let sha1 = Hex.lowercase(hash.finalize())
        let info = VolumeInfo(
            number: volume.number, startPath: volume.startPath, startBlock: volume.startBlock,
            endPath: volume.endPath, endBlock: volume.endBlock, sha1: sha1)
        encrypted()

        do {
            if existing.contains(volume.number) { try backend.delete(name: target.name) }
            try journal?.record(
                BackupResumeState.Volume(
                    number: volume.number, plainSHA1: plain.sha1, plainSize: plain.size, storedSize: size, sha1: sha1,
                    startPath: Data(volume.startPath), startBlock: volume.startBlock,
                    endPath: Data(volume.endPath), endBlock: volume.endBlock))
            try backend.store(name: target.name, movingFile: encryptedPath)
        } catch {
            unlink(encryptedPath)
            throw error
        }
        // Read back the stored size, as duplicity does after each upload.
        guard let stored = try backend.head(name: target.name), stored.size == size else {
            throw BamError.corrupt(what: "\(backend.address)/\(target.name)", reason: "stored size differs from the \(size) bytes written")
        }
        lock.lock(); storedBytes += size; lock.unlock()
        progress.report(.volume(number: volume.number, bytes: size))
        return info
    }
}
