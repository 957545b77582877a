/// Passphrases bam makes up (`bam passphrase --random`,
/// `bam escrow --random-passphrase`): 20 characters from 31 lowercase
/// letters and digits without look-alikes (no 0/o, 1/l/i), in dash-separated
/// groups of four so they can be read aloud or copied from paper; about 99
/// bits of entropy, beyond guessing even without the KDF.
public enum RandomPassphrase {
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
    static let groups = 5
    static let groupLength = 4

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<groups).map { _ in
            String((0..<groupLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        }.joined(separator: "-")
    }
}
