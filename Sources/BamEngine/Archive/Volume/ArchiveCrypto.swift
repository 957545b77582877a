import Deflate
import Foundation
import GPG

/// What every archive operation needs to encrypt or decrypt: a private
/// GnuPG home and the passphrase (the backup secret).
public final class ArchiveCrypto {
    let home: GPGHome
    let cipher: SymmetricCipher

    /// `compression`: how hard the volumes are compressed where it pays.
    public init(passphrase: [UInt8], compression: VolumeCompression = .balanced) throws {
        do {
            // Not under `scratch`: gpg-agent's socket lives in the home, and a
            // Unix socket path must fit in 108 bytes, which a deep cache or
            // test directory overruns (gpg then fails like a bad passphrase).
            home = try GPGHome(parent: ArchiveCrypto.shortTemporaryDirectory)
        } catch let error as GPGError {
            throw BamError.external("cannot set up GnuPG: \(error)")
        }
        cipher = SymmetricCipher(home: home, passphrase: passphrase, compression: compression)
    }

    public func close() { home.close() }

    /// `TMPDIR` when it is short enough for agent sockets, else `/tmp`.
    static var shortTemporaryDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["TMPDIR"], !dir.isEmpty, dir.utf8.count <= 40 { return dir }
        return "/tmp"
    }
}
