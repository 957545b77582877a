import ArgumentParser
import BamEngine

extension Bam {
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup from a storage target into a directory.")

        @Option(name: .customLong("raw-download"), help: ArgumentHelp("Restore into this directory (it must not exist or be empty, unless --force).", valueName: "DEST"))
        var rawDownload: String

        @OptionGroup var archive: ArchiveOptions

        @Option(help: ArgumentHelp("Restore the state at this time: now, epoch seconds, 2026-11-27T10:00:00, 20261127T100000Z, or an age like 3D.", valueName: "T"))
        var time: String?

        @Option(help: ArgumentHelp("Restore only this path (relative to the backed-up directory); DEST becomes it.", valueName: "P"))
        var path: String?

        @Flag(help: "Restore over a destination that is not empty.")
        var force = false

        @Option(help: ArgumentHelp("Escrow key file: unlock the backup secret with it instead of the registry.", valueName: "FILE"))
        var keyfile: String?

        @Flag(help: "Read the key file's passphrase from stdin instead of asking on the terminal.")
        var noninteractive = false

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                let secret = try BackupSecretSource.load(keyfile: keyfile, noninteractive: noninteractive, registry: registryOptions.registry)
                var options = ArchiveRestoreOptions(address: archive.address, destination: rawDownload, scratchRoot: archive.cacheRoot)
                options.time = try time.map { try BackupTime.parseUserTime($0, now: Int64(Glibc.time(nil))) }
                options.path = try path.map(RestorePathArgument.parse)
                options.force = force
                let result = try ArchiveRestore(options: options, passphrase: secret.bytes, progress: reporter).run()
                reporter.summary([
                    ("operation", .string("restore")),
                    ("time", .string(BackupTime.format(result.time))),
                    ("destination", .string(rawDownload)),
                    ("sets", .int(Int64(result.sets))),
                    ("volumes", .int(Int64(result.volumes))),
                    ("files", .int(Int64(result.files))),
                    ("bytes", .int(result.bytes)),
                ], text: """
                    restored the backup of \(BackupTime.display(result.time)) into \(rawDownload)
                    \(result.files) files, \(ByteCount.format(result.bytes)) from \(result.sets) set(s), \(result.volumes) volume(s) in \(String(format: "%.1f", reporter.elapsed)) s
                    """)
            }
        }
    }
}

/// A `--path` argument: relative, no `..`; leading `./` and `/` and trailing
/// `/` are dropped.
enum RestorePathArgument {
    static func parse(_ text: String) throws -> [UInt8] {
        var parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        while parts.first == "." { parts.removeFirst() }
        if parts.contains("..") { throw BamError.invalid("--path must not contain '..': \(text)") }
        parts.removeAll { $0 == "." }
        return Array(parts.joined(separator: "/").utf8)
    }
}

#if canImport(Glibc)
import Glibc
#endif
