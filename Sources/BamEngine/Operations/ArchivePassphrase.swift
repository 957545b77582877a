import GPG

/// What every archive operation needs to encrypt or decrypt: a private
/// GnuPG home and the passphrase (the backup secret).
public final class ArchiveCrypto {
    let home: GPGHome
    let cipher: SymmetricCipher

    /// `compressLevel`: zlib level gpg uses where compression pays.
    public init(passphrase: [UInt8], scratch: String, compressLevel: Int = 6) throws {
        do {
            home = try GPGHome(parent: scratch, compressLevel: compressLevel)
        } catch let error as GPGError {
            throw BamError.external("cannot set up GnuPG: \(error)")
        }
        cipher = SymmetricCipher(home: home, passphrase: passphrase)
    }

    public func close() { home.close() }
}
