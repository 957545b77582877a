import BamEngine

/// A restore of a Hub backup record (`bam restore BACKUP_ID`): the record
/// gives the address, and its key packet, unlocked with the passphrase the
/// user types (or gives on stdin with --noninteractive), gives the secret.
struct HubRestoreSource {
    let record: HubRecord

    static func resolve(backupID: String, registry: Registry, reporter: CommandReporter) throws -> HubRestoreSource {
        let session = try HubSession(registry: registry, warn: { reporter.report(.warning($0)) })
        return HubRestoreSource(record: try session.restoreRecord(backupID).record)
    }

    /// The backup secret from the record's key packet.
    func secret(noninteractive: Bool) throws -> BackupSecret {
        guard !record.key.isEmpty else {
            throw BamError.invalid("the Hub's record \(record.backupID) has no key packet; restore with --keyfile FILE (an escrow key)")
        }
        if try KeyPacket.isPassphraseProtected(record.key) {
            return try PassphrasePrompt.unlock(prompt: "Passphrase of backup \(record.backupID): ", noninteractive: noninteractive) {
                try KeyPacket.open(record.key, passphrase: $0)
            }
        }
        return try KeyPacket.open(record.key, passphrase: "")
    }
}
