import Crypto
import Foundation

/// The original TKLBAM key packet (its deployed Python 2 code), bit for bit:
///
///     packet    = u8 1 | u16 BE hash_rounds/1000 | u16 BE cipher_rounds/1000
///                 | SHA1(secret)[:6] | ciphertext
///     plaintext = 4 random salt bytes | SHA1(secret) | secret
///     padded    = random bytes | plaintext | u16 BE len(plaintext),
///                 len(plaintext)+2 rounded up to a multiple of 16
///     key       = SHA-256 chained 80,001 times from the passphrase
///     ciphertext= AES-256-CBC, zero IV, applied 80,001 times to the whole
///                 padded buffer, each round a fresh cipher (IV back to zero)
///
/// Without a passphrase both counts are 1 (header 0/0). The salt never
/// reaches the key: the format is weak and kept only for compatibility.
enum KeyPacketV1 {
    static let version: UInt8 = 1
    /// Rounds with a passphrase: the original's 80,000 + 1, stored as /1000.
    static let protectedRounds = 80_001
    static let headerLength = 5
    static let fingerprintOffset = 5
    static let ciphertextOffset = 5 + KeyPacket.fingerprintLength
    private static let saltLength = 4
    private static let sha1Length = 20

    static func seal(secret: [UInt8], passphrase: [UInt8]) throws -> [UInt8] {
        let rounds = passphrase.isEmpty ? 1 : protectedRounds
        let key = cipherKey(passphrase, rounds: rounds)

        let plaintext = KeyPacket.randomBytes(saltLength) + Array(Insecure.SHA1.hash(data: secret)) + secret
        guard plaintext.count <= Int(UInt16.max) else { throw BamError.invalid("the backup secret is too long for a v1 key packet") }
        // The original's ((len + 2 - 1) | 0xF) + 1: len + 2 rounded up to 16.
        let paddedLength = ((plaintext.count + 2 - 1) | 0xF) + 1
        var buffer = KeyPacket.randomBytes(paddedLength - plaintext.count - 2) + plaintext
        buffer += [UInt8(plaintext.count >> 8), UInt8(plaintext.count & 0xFF)]

        for _ in 0..<rounds { try ZeroIVCBC.encrypt(&buffer, key: key) }

        let stored = UInt16(rounds / 1000)  // integer division, as the original: 80 or 0
        var packet: [UInt8] = [version, UInt8(stored >> 8), UInt8(stored & 0xFF), UInt8(stored >> 8), UInt8(stored & 0xFF)]
        packet += KeyPacket.fingerprintBytes(of: secret)
        packet += buffer
        return packet
    }

    static func open(_ packet: [UInt8], passphrase: [UInt8]) throws -> [UInt8] {
        let (hashRounds, cipherRounds) = try header(packet)
        var buffer = Array(packet[ciphertextOffset...])

        // The header's 0/0 means "sealed without a passphrase": one round of
        // SHA-256("") whatever passphrase the user typed.
        let unprotected = hashRounds == 0 && cipherRounds == 0
        let usedPassphrase = unprotected ? [] : passphrase
        if !unprotected && passphrase.isEmpty {
            throw BamError.wrongPassphrase("the key packet is protected by a passphrase, and none was given")
        }
        let hashCount = unprotected ? 1 : hashRounds * 1000 + 1
        let cipherCount = unprotected ? 1 : cipherRounds * 1000 + 1
        let key = cipherKey(usedPassphrase, rounds: hashCount)
        for _ in 0..<cipherCount { try ZeroIVCBC.decrypt(&buffer, key: key) }

        // v1 has no authentication: a wrong passphrase (or a damaged
        // ciphertext, which looks the same) shows as garbage here. Without
        // a passphrase there is nothing to get wrong, so garbage is damage.
        let wrong = BamError.wrongPassphrase("wrong passphrase for the key packet (or the packet is damaged)")
        let length = Int(buffer[buffer.count - 2]) << 8 | Int(buffer[buffer.count - 1])
        guard length >= saltLength + sha1Length + 1, length <= buffer.count - 2 else {
            if unprotected { throw BamError.corrupt(what: KeyPacket.what, reason: "it does not decrypt to a secret") }
            throw wrong
        }
        let plaintext = Array(buffer[(buffer.count - 2 - length)..<(buffer.count - 2)])
        let digest = Array(plaintext[saltLength..<(saltLength + sha1Length)])
        let secret = Array(plaintext[(saltLength + sha1Length)...])
        guard KeyPacket.constantTimeEqual(Array(Insecure.SHA1.hash(data: secret)), digest) else {
            if unprotected { throw BamError.corrupt(what: KeyPacket.what, reason: "the embedded SHA-1 of the secret does not match") }
            throw wrong
        }
        guard KeyPacket.constantTimeEqual(KeyPacket.fingerprintBytes(of: secret), Array(packet[fingerprintOffset..<ciphertextOffset])) else {
            throw BamError.corrupt(what: KeyPacket.what, reason: "the fingerprint in its header does not match the secret inside")
        }
        return secret
    }

    static func isProtected(_ packet: [UInt8]) throws -> Bool {
        let (hashRounds, cipherRounds) = try header(packet)
        return hashRounds != 0 || cipherRounds != 0
    }

    static func storedFingerprint(_ packet: [UInt8]) throws -> [UInt8] {
        _ = try header(packet)
        return Array(packet[fingerprintOffset..<ciphertextOffset])
    }

    /// The most rounds (in thousands) a reader accepts for either count:
    /// exactly what bam and the original ever wrote (80 with a passphrase,
    /// 0 without). The counts come from a file and each thousand costs a
    /// thousand SHA-256 or AES passes over the packet; the header's 16 bits
    /// allow 65,535, minutes of work for a 75-byte hostile file. No
    /// margin: no writer of this frozen format ever used anything else.
    static let maximumStoredRounds = protectedRounds / 1000

    /// The most ciphertext a reader accepts. Every cipher round passes over
    /// all of it, so the work is rounds times length: a 27-character secret
    /// (bam's and the original's) makes 64 bytes; 256 leaves room for a
    /// secret of 229 bytes and keeps the work within 80,001 passes of 256.
    static let maximumCiphertextLength = 256

    /// The stored round counts (/1000), after checking the packet's shape
    /// and that the work they ask for is bounded.
    private static func header(_ packet: [UInt8]) throws -> (hash: Int, cipher: Int) {
        let body = packet.count - ciphertextOffset
        guard packet.count > ciphertextOffset, body % 16 == 0, body >= 32 else {
            throw BamError.corrupt(what: KeyPacket.what, reason: "a v1 packet of \(packet.count) bytes is truncated or malformed")
        }
        guard body <= maximumCiphertextLength else {
            throw BamError.corrupt(
                what: KeyPacket.what,
                reason: "its \(body)-byte ciphertext is beyond the \(maximumCiphertextLength) bytes a v1 secret can need")
        }
        let hash = Int(packet[1]) << 8 | Int(packet[2])
        let cipher = Int(packet[3]) << 8 | Int(packet[4])
        for (name, value) in [("hash_rounds", hash), ("cipher_rounds", cipher)] where value > maximumStoredRounds {
            throw BamError.corrupt(
                what: KeyPacket.what,
                reason: "its \(name) of \(value) thousand is beyond the \(maximumStoredRounds) thousand bam and the original write")
        }
        return (hash, cipher)
    }

    /// k0 = passphrase, k(i+1) = SHA-256(k(i)), `rounds` times.
    private static func cipherKey(_ passphrase: [UInt8], rounds: Int) -> SymmetricKey {
        var digest = SHA256.hash(data: passphrase)
        for _ in 1..<rounds { digest = digest.withUnsafeBytes { SHA256.hash(data: $0) } }
        return SymmetricKey(data: digest)
    }
}
