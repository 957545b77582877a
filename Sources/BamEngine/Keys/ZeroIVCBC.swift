import Crypto
import _CryptoExtras

/// AES-CBC with a zero IV and no padding, in place over a buffer whose
/// length is a multiple of 16: one round of the v1 key packet's cipher
/// chain. Each call starts from the zero IV again, which is what the
/// original's "fresh cipher each round" amounts to.
///
/// Built on `AES.permute` (the single-block function) rather than
/// `AES._CBC`: v1 runs 80,001 rounds over a 64-byte buffer, and working in
/// place on one array avoids a `Data` allocation per round.
enum ZeroIVCBC {
    static let blockSize = 16

    static func encrypt(_ buffer: inout [UInt8], key: SymmetricKey) throws {
        precondition(buffer.count % blockSize == 0)
        var block = [UInt8](repeating: 0, count: blockSize)  // holds the previous ciphertext block
        for start in stride(from: 0, to: buffer.count, by: blockSize) {
            for i in 0..<blockSize { block[i] ^= buffer[start + i] }
            try AES.permute(&block, key: key)
            for i in 0..<blockSize { buffer[start + i] = block[i] }
        }
    }

    static func decrypt(_ buffer: inout [UInt8], key: SymmetricKey) throws {
        precondition(buffer.count % blockSize == 0)
        var previous = [UInt8](repeating: 0, count: blockSize)
        var block = [UInt8](repeating: 0, count: blockSize)
        for start in stride(from: 0, to: buffer.count, by: blockSize) {
            for i in 0..<blockSize { block[i] = buffer[start + i] }
            try AES.inversePermute(&block, key: key)
            for i in 0..<blockSize {
                let cipherByte = buffer[start + i]
                buffer[start + i] = block[i] ^ previous[i]
                previous[i] = cipherByte
            }
        }
    }
}
