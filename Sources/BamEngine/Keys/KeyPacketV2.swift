import Crypto
import Foundation

/// bam's own key packet, for new keys: the passphrase goes through salted
/// scrypt, the secret is sealed with AES-256-GCM, and a checksum tells
/// damage apart from a wrong passphrase.
///
///     offset size
///      0      1   version = 2
///      1      1   KDF: 0 = none (sealed without a passphrase), 1 = scrypt
///      2      1   scrypt log2(N)   (0 without a KDF)
///      3      1   scrypt r         (0 without a KDF)
///      4      1   scrypt p         (0 without a KDF)
///      5     16   salt (random)
///     21      6   fingerprint = SHA1(secret)[:6]
///     27     12   GCM nonce (random)
///     39      n   AES-256-GCM ciphertext of the secret
///     39+n   16   GCM tag; bytes 0..<39 are its additional authenticated data
///     55+n    8   check = SHA-256(bytes 0..<55+n)[:8]
///
/// The key is scrypt(passphrase, salt) with the stored N, r, p. Without a
/// passphrase the KDF byte is 0 and the key is SHA-256("bam key packet v2
/// without passphrase" | salt): no protection, but the same integrity.
///
/// The GCM tag authenticates the header (AAD) and the secret, but only
/// someone with the key can check it, so a failure alone cannot say
/// "damaged" rather than "wrong passphrase". The unkeyed check at the end
/// can: any damaged or flipped bit fails it before scrypt even runs, and
/// only an intact packet that still fails GCM means a wrong passphrase.
enum KeyPacketV2 {
    static let version: UInt8 = 2
    static let kdfNone: UInt8 = 0
    static let kdfScrypt: UInt8 = 1

    static let saltOffset = 5
    static let saltLength = 16
    static let fingerprintOffset = 21
    static let nonceOffset = 27
    static let nonceLength = 12
    static let ciphertextOffset = 39
    static let tagLength = 16
    static let checkLength = 8
    static let overhead = ciphertextOffset + tagLength + checkLength

    private static let unprotectedKeyLabel = Array("bam key packet v2 without passphrase".utf8)

    static func seal(secret: [UInt8], passphrase: [UInt8], parameters: ScryptParameters? = nil) throws -> [UInt8] {
        let salt = KeyPacket.randomBytes(saltLength)
        let nonceBytes = KeyPacket.randomBytes(nonceLength)
        var header: [UInt8] = [version]
        let key: SymmetricKey
        if passphrase.isEmpty {
            header += [kdfNone, 0, 0, 0]
            key = unprotectedKey(salt: salt)
        } else {
            let scrypt = parameters ?? .standard
            // Never write a packet that a reader would refuse.
            if let refusal = scrypt.refusal { throw BamError.invalid(refusal) }
            header += [kdfScrypt, scrypt.log2N, scrypt.r, scrypt.p]
            key = try scrypt.deriveKey(passphrase: passphrase, salt: salt)
        }
        header += salt
        header += KeyPacket.fingerprintBytes(of: secret)
        header += nonceBytes

        let box = try AES.GCM.seal(secret, using: key, nonce: try AES.GCM.Nonce(data: nonceBytes), authenticating: header)
        var packet = header + Array(box.ciphertext) + Array(box.tag)
        packet += check(packet)
        return packet
    }

    static func open(_ packet: [UInt8], passphrase: [UInt8]) throws -> [UInt8] {
        let scrypt = try verifiedKDF(packet)
        let salt = Array(packet[saltOffset..<(saltOffset + saltLength)])
        let key: SymmetricKey
        if let scrypt {
            if passphrase.isEmpty {
                throw BamError.wrongPassphrase("the key packet is protected by a passphrase, and none was given")
            }
            key = try scrypt.deriveKey(passphrase: passphrase, salt: salt)
        } else {
            key = unprotectedKey(salt: salt)  // sealed without a passphrase: whatever was typed is not needed
        }

        let tagOffset = packet.count - checkLength - tagLength
        let secret: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(
                nonce: try AES.GCM.Nonce(data: packet[nonceOffset..<(nonceOffset + nonceLength)]),
                ciphertext: packet[ciphertextOffset..<tagOffset],
                tag: packet[tagOffset..<(tagOffset + tagLength)])
            secret = Array(try AES.GCM.open(box, using: key, authenticating: packet[0..<ciphertextOffset]))
        } catch {
            // The check passed, so the bytes are as written: the key is wrong.
            if scrypt == nil {
                throw BamError.corrupt(what: KeyPacket.what, reason: "it does not authenticate (altered, with its checksum recomputed)")
            }
            throw BamError.wrongPassphrase("wrong passphrase for the key packet")
        }
        guard KeyPacket.constantTimeEqual(KeyPacket.fingerprintBytes(of: secret), Array(packet[fingerprintOffset..<nonceOffset])) else {
            throw BamError.corrupt(what: KeyPacket.what, reason: "the fingerprint in its header does not match the secret inside")
        }
        return secret
    }

    static func isProtected(_ packet: [UInt8]) throws -> Bool {
        try verifiedKDF(packet) != nil
    }

    static func storedFingerprint(_ packet: [UInt8]) throws -> [UInt8] {
        _ = try verifiedKDF(packet)
        return Array(packet[fingerprintOffset..<nonceOffset])
    }

    /// Checks length and checksum, then returns the scrypt parameters, or
    /// nil for a packet sealed without a passphrase.
    private static func verifiedKDF(_ packet: [UInt8]) throws -> ScryptParameters? {
        guard packet.count > overhead else {
            throw BamError.corrupt(what: KeyPacket.what, reason: "a v2 packet of \(packet.count) bytes is truncated")
        }
        let body = Array(packet[0..<(packet.count - checkLength)])
        guard KeyPacket.constantTimeEqual(check(body), Array(packet[(packet.count - checkLength)...])) else {
            throw BamError.corrupt(what: KeyPacket.what, reason: "its checksum does not match: it is damaged or was altered")
        }
        switch packet[1] {
        case kdfNone:
            guard packet[2] == 0, packet[3] == 0, packet[4] == 0 else {
                throw BamError.corrupt(what: KeyPacket.what, reason: "KDF parameters are set although no KDF is used")
            }
            return nil
        case kdfScrypt:
            let parameters = ScryptParameters(log2N: packet[2], r: packet[3], p: packet[4])
            if let refusal = parameters.refusal { throw BamError.corrupt(what: KeyPacket.what, reason: refusal) }
            return parameters
        default:
            throw BamError.corrupt(what: KeyPacket.what, reason: "unknown key derivation function \(packet[1])")
        }
    }

    /// The trailing check over `bytes` (everything before it).
    static func check(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes).prefix(checkLength))
    }

    private static func unprotectedKey(salt: [UInt8]) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: unprotectedKeyLabel + salt))
    }
}
