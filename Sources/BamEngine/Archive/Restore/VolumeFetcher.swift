import Crypto
import Dispatch
import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

/// One volume to restore: where it is and the hash its manifest promises.
struct VolumeReference {
    let name: BackupFileName
    let sha1: String?
    let setLabel: String
}

/// Downloads, checks and decrypts volumes ahead of the restore that applies
/// them, `ahead` at a time, in order. Each volume's SHA-1 is checked against
/// its manifest before decryption, so damage is reported as damage of that
/// volume, not as a decryption or tar error further on.
final class VolumeFetcher {
    private let backend: StorageBackend
    private let cipher: SymmetricCipher
    private let scratch: String
    private let volumes: [VolumeReference]
    private let queue = DispatchQueue(label: "bam.volume-fetch", attributes: .concurrent)
    private let condition = NSCondition()
    private var results: [Int: Result<String, Error>] = [:]
    private var started = 0
    private var completed = 0
    private let ahead: Int
    private let rangeTransfers: Int
    private(set) var fetchedBytes: Int64 = 0

    init(backend: StorageBackend, cipher: SymmetricCipher, scratch: String, volumes: [VolumeReference], ahead: Int, rangeTransfers: Int) {
        self.rangeTransfers = rangeTransfers
        self.backend = backend
        self.cipher = cipher
        self.scratch = scratch
        self.volumes = volumes
        self.ahead = max(1, ahead)
    }

    private func startMore(upTo limit: Int) {
        while started < min(limit, volumes.count) {
            let i = started
            started += 1
            queue.async {
                let result = Result { try self.fetch(i) }
                self.condition.lock()
                self.results[i] = result
                self.completed += 1
                self.condition.broadcast()
                self.condition.unlock()
            }
        }
    }

    /// The decrypted tar of volume `i` (a file the caller deletes).
    func plainVolume(_ i: Int) throws -> String {
        condition.lock()
        startMore(upTo: i + ahead)
        while results[i] == nil { condition.wait() }
        let result = results.removeValue(forKey: i)!
        condition.unlock()
        return try result.get()
    }

    /// Waits for fetches still running and removes their files.
    func cancel() {
        condition.lock()
        while completed < started { condition.wait() }
        for (_, r) in results { if case .success(let path) = r { unlink(path) } }
        results.removeAll()
        condition.unlock()
    }

    /// Ranges of one large volume fetched at once from an object store
    /// (one stream per range beats one stream per volume on links with
    /// latency); each range is written straight into its place in the
    /// volume's file, so memory does not grow with the number of ranges.
    static let rangeSize: Int64 = 8 << 20

    private func download(_ name: String, to path: String) throws {
        guard backend.fetchesRangesInPlace, rangeTransfers > 1, let size = try backend.head(name: name)?.size,
            size >= 2 * VolumeFetcher.rangeSize
        else {
            try backend.get(name: name, toFile: path)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw BamError.io(path: path, operation: "create", errno: errno) }
        close(fd)
        let count = Int((size + VolumeFetcher.rangeSize - 1) / VolumeFetcher.rangeSize)
        let state = RangeState()
        let work = {
            while let k = state.take(below: count) {
                let lower = Int64(k) * VolumeFetcher.rangeSize
                do {
                    try self.backend.get(name: name, range: lower..<min(size, lower + VolumeFetcher.rangeSize), intoFileAt: path)
                } catch {
                    state.fail(error)
                }
            }
        }
        WorkerThreads.run(min(rangeTransfers, count), work)
        if let error = state.error { unlink(path); throw error }
    }

    private final class RangeState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private(set) var error: Error?
        func take(below count: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard error == nil, next < count else { return nil }
            next += 1
            return next - 1
        }
        func fail(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    }

    private func fetch(_ i: Int) throws -> String {
        let ref = volumes[i]
        let what = "\(backend.address)/\(ref.name.name)"
        // A volume on a local file system is read where it is: copying it
        // first would write every restored byte one more time.
        let local = backend.localPath(name: ref.name.name)
        let encrypted = local ?? "\(scratch)/fetch-\(i)-\(ref.name.name)"
        defer { if local == nil { unlink(encrypted) } }
        do {
            if local == nil { try download(ref.name.name, to: encrypted) }
        } catch StorageError.notFound {
            throw BamError.missing(what: "volume \(ref.name.name) of the \(ref.setLabel) set (listed in its manifest) in \(backend.address)")
        }
        if let expected = ref.sha1 {
            let (actual, size) = try FileDigest.sha1(encrypted)
            guard actual == expected else {
                throw BamError.corrupt(
                    what: what, reason: "SHA-1 \(actual) does not match the manifest's \(expected) (\(size) bytes stored; damaged or truncated)")
            }
            condition.lock(); fetchedBytes += size; condition.unlock()
        }
        let input = open(encrypted, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: encrypted, operation: "open", errno: errno) }
        defer { close(input) }
        let plainPath = "\(scratch)/plain-\(i).tar"
        let output = try BufferedFileWriter(creating: plainPath)
        do {
            try cipher.decrypt(inputFD: input) { try output.write($0) }
            try output.close()
        } catch let error as GPGError {
            try? output.close(); unlink(plainPath)
            throw ArchiveCache.decryptionError(error, what: what)
        } catch {
            try? output.close(); unlink(plainPath)
            throw error
        }
        return plainPath
    }
}
