import Crypto
import Dispatch
import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

/// Encrypts and stores finished volumes on worker threads while the next
/// volume is being built: one gpg per volume, `workers` at a time. The
/// builder blocks when all workers are busy, so at most `workers + 1`
/// plain volumes exist on disk at once.
final class VolumeUploader {
    private let backend: StorageBackend
    private let cipher: SymmetricCipher
    private let directory: String
    private let name: (Int) -> BackupFileName
    private let progress: ProgressReporter
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "bam.volume-upload", attributes: .concurrent)
    private let lock = NSLock()
    private var results: [Int: VolumeInfo] = [:]
    private var failure: Error?
    private(set) var storedBytes: Int64 = 0

    init(backend: StorageBackend, cipher: SymmetricCipher, directory: String, workers: Int,
         progress: ProgressReporter, name: @escaping (Int) -> BackupFileName) {
        self.backend = backend
        self.cipher = cipher
        self.directory = directory
        self.name = name
        self.progress = progress
        slots = DispatchSemaphore(value: max(1, workers))
    }

    private func firstFailure() -> Error? {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    func submit(_ volume: PlainVolume) throws {
        if let failure = firstFailure() { throw failure }
        slots.wait()
        if let failure = firstFailure() { slots.signal(); throw failure }
        group.enter()
        queue.async {
            defer { self.slots.signal(); self.group.leave() }
            do {
                let info = try self.store(volume)
                self.lock.lock(); self.results[volume.number] = info; self.lock.unlock()
            } catch {
                self.lock.lock(); if self.failure == nil { self.failure = error }; self.lock.unlock()
            }
            unlink(volume.path)
        }
    }

    /// Waits for every volume; returns their manifest entries in order.
    func finish() throws -> [VolumeInfo] {
        group.wait()
        if let failure = firstFailure() { throw failure }
        return results.keys.sorted().map { results[$0]! }
    }

    private func store(_ volume: PlainVolume) throws -> VolumeInfo {
        let target = name(volume.number)
        let encryptedPath = "\(directory)/\(target.name)"
        let input = open(volume.path, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: volume.path, operation: "open", errno: errno) }
        defer { close(input) }
        let output = try BufferedFileWriter(creating: encryptedPath)
        var hash = Insecure.SHA1()
        do {
            try cipher.encrypt(inputFD: input, compress: volume.compress) { piece in
                hash.update(bufferPointer: piece)
                try output.write(piece)
            }
            try output.close()
        } catch let error as GPGError {
            try? output.close(); unlink(encryptedPath)
            throw BamError.external("encrypting volume \(volume.number): \(error)")
        }
        let size = output.written
        try backend.store(name: target.name, movingFile: encryptedPath)
        // Read back the stored size, as duplicity does after each upload.
        guard let stored = try backend.head(name: target.name), stored.size == size else {
            throw BamError.corrupt(what: "\(backend.address)/\(target.name)", reason: "stored size differs from the \(size) bytes written")
        }
        lock.lock(); storedBytes += size; lock.unlock()
        progress.report(.volume(number: volume.number, bytes: size))
        let sha1 = hash.finalize().map { String(format: "%02x", $0) }.joined()
        return VolumeInfo(number: volume.number, startPath: volume.startPath, startBlock: volume.startBlock,
                          endPath: volume.endPath, endBlock: volume.endBlock, sha1: sha1)
    }
}
