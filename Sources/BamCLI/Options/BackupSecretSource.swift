import BamEngine

/// Where a restore gets the backup secret: an escrow key file (its
/// passphrase asked on the terminal, three tries, or read from stdin with
/// --noninteractive) or else the registry.
enum BackupSecretSource {
    static func load(keyfile: String?, noninteractive: Bool, registry: Registry) throws -> BackupSecret {
        guard let keyfile else { return try registry.loadSecret() }
        let packet = String(decoding: try Posix.readFile(keyfile), as: UTF8.self)
        if try KeyPacket.isPassphraseProtected(packet) {
            return try PassphrasePrompt.unlock(prompt: "Passphrase for \(keyfile): ", noninteractive: noninteractive) {
                try KeyPacket.open(packet, passphrase: $0)
            }
        }
        return try KeyPacket.open(packet, passphrase: "")
    }
}
