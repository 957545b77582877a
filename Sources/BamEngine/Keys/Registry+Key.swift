import Foundation

/// The registry's key packet (`<registry>/key`): the backup secret wrapped
/// by the user's passphrase, the form in which the secret leaves the
/// server (Hub record, escrow). Mode 0600 like every registry file.
extension Registry {
    public var keyPath: String { path + "/key" }

    public var hasKey: Bool { Posix.fileExists(keyPath) }

    /// Saves `packet` (Base64 text) atomically with mode 0600, followed by
    /// a newline; readers of both bam and the original ignore it.
    public func saveKey(_ packet: String) throws {
        let text = packet.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw BamError.invalid("refusing to save an empty key packet to \(keyPath)") }
        try Posix.writeFileAtomically(keyPath, Array((text + "\n").utf8), mode: 0o600)
    }

    /// The saved key packet as Base64 text, without the newline.
    public func loadKey() throws -> String {
        guard hasKey else {
            throw BamError.registry("no key packet in \(path): run 'bam passphrase' to create one")
        }
        let text = String(decoding: try Posix.readFile(keyPath), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw BamError.corrupt(what: keyPath, reason: "the key file is empty") }
        return text
    }
}
