import BamEngine
import RSync

/// What a backup's volumes and signature archives hold, after decryption.
enum ArchiveTargets {
    /// A volume's tar stream: every header, PAX record and entry's data.
    static func tar(_ input: [UInt8]) {
        ScratchFile.write(input)
        let reader = TarReader(fd: ScratchFile.fd, label: "fuzz.tar")
        do {
            while let entry = try reader.next() {
                if entry.type == .regular { try reader.readData { _ in } }
            }
        } catch {}
    }

    /// A manifest; one that parses is rendered again, as bam does when it
    /// rewrites a chain's manifests.
    static func manifest(_ input: [UInt8]) {
        guard let manifest = try? Manifest.parse(input, label: "fuzz.manifest") else { return }
        _ = manifest.render()
    }

    /// A signature archive as an incremental backup reads it, each stored
    /// librsync signature loaded and used for a delta as the backup does.
    static func signature(_ input: [UInt8]) {
        ScratchFile.write(input)
        guard let chain = try? SignatureChain(sigtarFiles: [ScratchFile.path]) else { return }
        // try? flattens: nil at the end of the chain and on any error.
        while let entry = try? chain.next() {
            guard let signature = entry.signature else { continue }
            do {
                let generator = try DeltaGenerator(signature: signature)
                try sample.withUnsafeBytes { try generator.update($0) { _ in } }
                try generator.finish { _ in }
            } catch {}
        }
    }

    /// A file's new content, diffed against each signature.
    private static let sample: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
}
