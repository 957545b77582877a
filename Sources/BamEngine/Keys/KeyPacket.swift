import Crypto
import Foundation

/// A key packet: the backup secret wrapped by a passphrase, as Base64 text on
/// one line. It is what the registry's `key` file, an escrow key file and the
/// Hub's backup record hold; whoever has it and the passphrase can read every
/// backup made with the secret.
///
/// Two formats share the first byte as their version:
/// - v1 (`KeyPacketV1`), the original TKLBAM's, read and written so its key
///   files keep working; its key is an unsalted SHA-256 chain, weak.
/// - v2 (`KeyPacketV2`), bam's own for new keys: salted scrypt, AES-256-GCM.
public enum KeyPacket {
    /// The packet format to write; readers accept both.
    public enum Format: String, CaseIterable, Sendable, Codable {
        case v1
        case v2
    }

    /// Length of the fingerprint: the first bytes of SHA-1(secret), the same
    /// rule in both formats so users see the same fingerprint for a secret.
    static let fingerprintLength = 6

    /// What `BamError.corrupt` names when a packet is damaged.
    static let what = "key packet"

    /// Wraps `secret` with `passphrase` (empty: no protection) and returns
    /// the packet as standard Base64 text (no newline).
    public static func seal(secret: BackupSecret, passphrase: String, format: Format = .v2) throws -> String {
        guard !secret.bytes.isEmpty else { throw BamError.invalid("cannot seal an empty backup secret") }
        let packet: [UInt8]
        switch format {
        case .v1: packet = try KeyPacketV1.seal(secret: secret.bytes, passphrase: Array(passphrase.utf8))
        case .v2: packet = try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array(passphrase.utf8))
        }
        return Data(packet).base64EncodedString()
    }

    /// Unwraps a packet of either format. A packet sealed without a
    /// passphrase opens whatever `passphrase` is given.
    /// - Throws: `BamError.wrongPassphrase` when the passphrase does not open
    ///   it, `BamError.corrupt` when it is damaged, altered or of an unknown
    ///   version.
    public static func open(_ text: String, passphrase: String) throws -> BackupSecret {
        let packet = try decode(text)
        let secret: [UInt8]
        switch packet[0] {
        case KeyPacketV1.version: secret = try KeyPacketV1.open(packet, passphrase: Array(passphrase.utf8))
        case KeyPacketV2.version: secret = try KeyPacketV2.open(packet, passphrase: Array(passphrase.utf8))
        default: throw unknownVersion(packet[0])
        }
        guard let value = String(validating: secret, as: UTF8.self), !value.isEmpty else {
            throw BamError.corrupt(what: what, reason: "the unwrapped backup secret is not text")
        }
        return BackupSecret(value: value)
    }

    /// Whether opening `text` needs a passphrase, read from its header
    /// without decrypting, so a front end knows whether to ask for one.
    public static func isPassphraseProtected(_ text: String) throws -> Bool {
        let packet = try decode(text)
        switch packet[0] {
        case KeyPacketV1.version: return try KeyPacketV1.isProtected(packet)
        case KeyPacketV2.version: return try KeyPacketV2.isProtected(packet)
        default: throw unknownVersion(packet[0])
        }
    }

    /// The format of a packet, from its version byte.
    public static func format(of text: String) throws -> Format {
        let packet = try decode(text)
        switch packet[0] {
        case KeyPacketV1.version: return .v1
        case KeyPacketV2.version: return .v2
        default: throw unknownVersion(packet[0])
        }
    }

    /// The fingerprint users see for a secret: SHA-1(secret)[:6] in
    /// uppercase hex (12 characters).
    public static func fingerprint(of secret: BackupSecret) -> String {
        hex(fingerprintBytes(of: secret.bytes))
    }

    /// The fingerprint stored in a packet's header, readable without the
    /// passphrase (it identifies which secret a key file holds).
    public static func fingerprint(ofPacket text: String) throws -> String {
        let packet = try decode(text)
        switch packet[0] {
        case KeyPacketV1.version: return hex(try KeyPacketV1.storedFingerprint(packet))
        case KeyPacketV2.version: return hex(try KeyPacketV2.storedFingerprint(packet))
        default: throw unknownVersion(packet[0])
        }
    }

    // MARK: - Shared helpers

    static func fingerprintBytes(of secret: [UInt8]) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: secret).prefix(fingerprintLength))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Compares without an early exit, so timing says nothing about where
    /// two digests differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    /// Base64 text to bytes; surrounding whitespace (a file's newline) is fine.
    private static func decode(_ text: String) throws -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw BamError.corrupt(what: what, reason: "it is empty") }
        guard let data = Data(base64Encoded: trimmed) else {
            throw BamError.corrupt(what: what, reason: "it is not Base64 text")
        }
        guard !data.isEmpty else { throw BamError.corrupt(what: what, reason: "it is empty") }
        return Array(data)
    }

    private static func unknownVersion(_ version: UInt8) -> BamError {
        .corrupt(what: what, reason: "unknown format version \(version) (this bam reads versions 1 and 2)")
    }
}
