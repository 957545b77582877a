import BamEngine

/// Key packets for records, made once per test run by the engine.
enum TestKeys {
    static let protected: String = try! KeyPacket.seal(secret: BackupSecret.generate(), passphrase: "correct horse", format: .v1)
    static let open: String = try! KeyPacket.seal(secret: BackupSecret.generate(), passphrase: "", format: .v1)
}
