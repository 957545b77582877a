import Crypto
import Foundation
import GPG
#if canImport(Glibc)
import Glibc
#endif

/// The local metadata cache of one target (duplicity's archive dir): plain
/// manifests and signature tars of the target's sets. The target is the
/// authority: what is missing here is fetched and decrypted from it, what
/// is no longer there is dropped.
public struct ArchiveCache {
    public let directory: String

    /// `root` holds one directory per target address.
    public init(root: String, address: String) {
        let digest = Hex.lowercase(SHA256.hash(data: Data(address.utf8)).prefix(8))
        directory = root + "/" + digest
    }

    public func path(_ name: BackupFileName) -> String { directory + "/" + name.plainCacheName }

    /// Makes sure the plain manifest and signatures of every set of `chain`
    /// are here, fetching what is missing; returns the signature tars in order.
    public func synchronise(chain: BackupChain, backend: StorageBackend, cipher: SymmetricCipher, scratch: String) throws -> [String] {
        try Posix.makeDirectories(directory, mode: 0o700)
        var sigtars: [String] = []
        for set in chain.sets {
            for name in [set.manifest, set.signatures].compactMap({ $0 }) {
                let local = path(name)
                if !Posix.fileExists(local) {
                    let plain = try ArchiveCache.fetchPlain(name, backend: backend, cipher: cipher, scratch: scratch)
                    try Posix.writeFileAtomically(local, plain, mode: 0o600)
                }
            }
            guard let sig = set.signatures else {
                throw BamError.missing(what: "the signatures of the \(set.label) set in \(backend.address)")
            }
            sigtars.append(path(sig))
        }
        return sigtars
    }

    public func store(_ name: BackupFileName, plain: [UInt8]) throws {
        try Posix.makeDirectories(directory, mode: 0o700)
        try Posix.writeFileAtomically(path(name), plain, mode: 0o600)
    }

    public func store(_ name: BackupFileName, movingPlainFile file: String) throws {
        try Posix.makeDirectories(directory, mode: 0o700)
        if rename(file, path(name)) != 0 {
            let bytes = try Posix.readFile(file)
            try Posix.writeFileAtomically(path(name), bytes, mode: 0o600)
            unlink(file)
        }
    }

    /// Downloads and decrypts one small object (manifest, signatures).
    public static func fetchPlain(_ name: BackupFileName, backend: StorageBackend, cipher: SymmetricCipher, scratch: String) throws -> [UInt8] {
        let local = scratch + "/fetch-" + name.name
        defer { unlink(local) }
        try backend.get(name: name.name, toFile: local)
        let fd = open(local, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw BamError.io(path: local, operation: "open", errno: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        do {
            try cipher.decrypt(inputFD: fd) { out.append(contentsOf: $0) }
        } catch let error as GPGError {
            throw ArchiveCache.decryptionError(error, what: "\(backend.address)/\(name.name)")
        }
        return out
    }

    static func decryptionError(_ error: GPGError, what: String) -> BamError {
        switch error {
        case .badPassphrase:
            return .wrongPassphrase("wrong passphrase: cannot decrypt \(what) (is this the right key for this backup?)")
        case .damaged(let why):
            return .corrupt(what: what, reason: "decryption failed: \(why)")
        case .failed(let why):
            return .external("decrypting \(what): \(why)")
        }
    }
}

extension ArchiveCache {
    /// Removes the cached manifests and signatures of sets for which
    /// `stays` is false (a prune removed them from the target), so the
    /// cache holds no more than the target. Other files (the resume
    /// journal) are left alone.
    public func forget(keeping stays: (BackupFileName) -> Bool) throws {
        guard Posix.fileExists(directory) else { return }
        for entry in try Posix.listDirectory(Array(directory.utf8)) {
            guard let text = String(validating: entry, as: UTF8.self), let name = BackupFileName.parse(text), !stays(name) else { continue }
            let local = directory + "/" + text
            if unlink(local) != 0 && errno != ENOENT { throw BamError.io(path: local, operation: "unlink", errno: errno) }
        }
    }
}
