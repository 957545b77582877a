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
    private(set) var fetchedBytes: Int64 = 0

    init(backend: StorageBackend, cipher: SymmetricCipher, scratch: String, volumes: [VolumeReference], ahead: Int) {
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

    private func fetch(_ i: Int) throws -> String {
        let ref = volumes[i]
        let what = "\(backend.address)/\(ref.name.name)"
        let encrypted = "\(scratch)/fetch-\(i)-\(ref.name.name)"
        defer { unlink(encrypted) }
        do {
            try backend.get(name: ref.name.name, toFile: encrypted)
        } catch StorageError.notFound {
            throw BamError.missing(what: "volume \(ref.name.name) of the \(ref.setLabel) set (listed in its manifest) in \(backend.address)")
        }
        let input = open(encrypted, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: encrypted, operation: "open", errno: errno) }
        defer { close(input) }
        if let expected = ref.sha1 {
            var hash = Insecure.SHA1()
            var size: Int64 = 0
            let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buf.deallocate() }
            while true {
                let n = try Posix.readFully(input, buf, 1 << 20, path: encrypted)
                hash.update(bufferPointer: UnsafeRawBufferPointer(start: buf, count: n))
                size += Int64(n)
                if n < 1 << 20 { break }
            }
            let actual = hash.finalize().map { String(format: "%02x", $0) }.joined()
            guard actual == expected else {
                throw BamError.corrupt(what: what, reason: "SHA-1 \(actual) does not match the manifest's \(expected) (\(size) bytes stored; damaged or truncated)")
            }
            lseek(input, 0, SEEK_SET)
            condition.lock(); fetchedBytes += size; condition.unlock()
        }
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
