@testable import BamEngine

/// Key packets (escrow key files, the Hub's key), binary after Base64.
/// The text layer (Base64, version byte) is run too, then the packet itself.
enum KeyTargets {
    private static let passphrase = Array("fuzz passphrase".utf8)

    /// v1 has no checksum: the packet is taken as it is.
    static func v1(_ input: [UInt8]) {
        textLayer(input)
        _ = try? KeyPacketV1.isProtected(input)
        _ = try? KeyPacketV1.storedFingerprint(input)
        _ = try? KeyPacketV1.open(input, passphrase: [])
        // A protected header asks for up to 80,001 SHA-256 and AES passes,
        // which bam accepts (the original's packets need them) and which a
        // sanitized debug build takes longer than the hang timeout for: the
        // rounds are opened only when cheap (the bounds check runs for all).
        if input.count >= KeyPacketV1.headerLength, input[1] == 0, input[2] <= 1, input[3] == 0, input[4] <= 1 {
            _ = try? KeyPacketV1.open(input, passphrase: passphrase)
        }
    }

    /// v2 ends with a checksum over the rest, which random bytes would
    /// almost never match; an attacker recomputes it, so the target does
    /// too: the input is the packet without its check. Opening with a
    /// passphrase runs scrypt with the packet's parameters, so it is done
    /// only for cheap ones (the parameter check itself runs for all).
    static func v2(_ input: [UInt8]) {
        textLayer(input)
        _ = try? KeyPacketV2.isProtected(input)
        let packet = input + KeyPacketV2.check(input)
        _ = try? KeyPacketV2.isProtected(packet)
        _ = try? KeyPacketV2.storedFingerprint(packet)
        _ = try? KeyPacketV2.open(packet, passphrase: [])
        if packet.count > 4, packet[2] <= 10 {
            _ = try? KeyPacketV2.open(packet, passphrase: passphrase)
        }
    }

    /// The public text API on the input as a key file's text.
    private static func textLayer(_ input: [UInt8]) {
        let text = text(input)
        _ = try? KeyPacket.format(of: text)
        _ = try? KeyPacket.fingerprint(ofPacket: text)
        _ = try? KeyPacket.isPassphraseProtected(text)
    }
}
