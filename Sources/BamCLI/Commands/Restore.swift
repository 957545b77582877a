import ArgumentParser
import BamEngine
import Foundation

extension Bam {
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a whole-system backup onto this system (or a backup into a directory, with --raw-download).",
            discussion: """
                Gets the backup from a Hub backup record (BACKUP_ID, as 'bam list' \
                shows it: its address and key packet come from the Hub, the key's \
                passphrase is asked for), --address, the registry's backup address, or \
                an extract directory (made by --raw-download or 'bam backup --dump'), \
                then installs its new packages, merges its users and groups, \
                restores its files with owners and modes mapped to this system's \
                ids, and applies its deletions. A rollback store is saved first: \
                'bam restore-rollback' undoes the restore.
                """)

        @Argument(help: ArgumentHelp("A Hub backup id (see 'bam list'), or an extract directory (a path: it contains '/' or exists) to restore from instead of a storage target.", valueName: "BACKUP_ID|EXTRACT"))
        var source: String?

        /// The argument as an extract directory: a path, or a directory that exists.
        var extract: String? {
            guard let source else { return nil }
            return source.contains("/") || FileManager.default.fileExists(atPath: source) ? source : nil
        }

        /// The argument as a Hub backup id.
        var backupID: String? { extract == nil ? source : nil }

        @Option(name: .customLong("raw-download"), help: ArgumentHelp("Only download the backup into this directory (it must not exist or be empty, unless --force); change nothing else.", valueName: "DEST"))
        var rawDownload: String?

        @Option(help: ArgumentHelp("Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX (default: the registry's backup address).", valueName: "URL"))
        var address: String?

        @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Local cache and scratch space for the download (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
        var cacheDirectory: String?

        @Option(help: ArgumentHelp("Restore the state at this time: now, epoch seconds, 2026-11-27T10:00:00, 20261127T100000Z, or an age like 3D.", valueName: "T"))
        var time: String?

        @Option(help: ArgumentHelp("With --raw-download: only this path (relative to the backed-up directory); DEST becomes it.", valueName: "P"))
        var path: String?

        @Flag(name: .customLong("no-special-files"), help: "With --raw-download: refuse (exit 13) device nodes, FIFOs and setuid/setgid files in the backup instead of restoring them as duplicity does.")
        var noSpecialFiles = false

        @Option(help: ArgumentHelp("Restore limits, space-separated: /path, mysql:DB[/TABLE], pgsql:DB[/TABLE] to include, with '-' to exclude.", valueName: "LIMITS"))
        var limits: String?

        @Flag(name: .customLong("skip-files"), help: "Restore no files, users or groups.")
        var skipFiles = false

        @Flag(name: .customLong("skip-packages"), help: "Install no packages.")
        var skipPackages = false

        @Flag(name: .customLong("skip-database"), help: "Restore no databases.")
        var skipDatabase = false

        @Flag(help: "Show the plan (files, users, uid/gid maps, packages); change nothing.")
        var simulate = false

        @Flag(help: "Restore onto a different appliance type; with --raw-download, into a non-empty directory.")
        var force = false

        @Option(help: ArgumentHelp("Escrow key file: unlock the backup secret with it instead of the registry.", valueName: "FILE"))
        var keyfile: String?

        @Flag(help: "Read the key file's passphrase from stdin instead of asking on the terminal.")
        var noninteractive = false

        @OptionGroup var system: SystemRootOptions
        @OptionGroup var storage: StorageOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        var cacheRoot: String {
            if let cacheDirectory { return cacheDirectory }
            if let env = ProcessInfo.processInfo.environment["BAM_CACHE"], !env.isEmpty { return env }
            return "/var/cache/bam"
        }

        func validate() throws {
            if backupID != nil && address != nil {
                throw ValidationError("a BACKUP_ID names its own address (the Hub's record): drop --address")
            }
            if rawDownload != nil {
                if address == nil && backupID == nil { throw ValidationError("--raw-download needs --address or a BACKUP_ID") }
                if extract != nil { throw ValidationError("--raw-download downloads from --address; it takes no EXTRACT") }
            } else if path != nil {
                throw ValidationError("--path only works with --raw-download")
            } else if noSpecialFiles {
                throw ValidationError("--no-special-files only works with --raw-download")
            }
            if let time { try TimeArgument.validate(time) }
            if extract != nil && (address != nil || time != nil) {
                throw ValidationError("an EXTRACT directory is restored as it is: it takes no --address or --time")
            }
        }

        func run() throws {
            try output.run { reporter in
                storage.install(registry: registryOptions.registry)
                let hub = try backupID.map { try HubRestoreSource.resolve(backupID: $0, registry: registryOptions.registry, reporter: reporter) }
                if let rawDownload { try runRaw(rawDownload, hub, reporter) } else { try runSystem(hub, reporter) }
            }
        }

        private func runSystem(_ hub: HubRestoreSource?, _ reporter: CommandReporter) throws {
            let registry = registryOptions.registry
            var options = SystemRestoreOptions(registry: registry)
            options.root = system.root
            options.confDirectory = system.conf
            options.cacheRoot = cacheRoot
            options.source = extract.map { .extract($0) } ?? .address(hub?.record.address ?? address)
            options.time = try time.map(TimeArgument.parse)
            options.limits = try (limits ?? "").split(separator: " ").map { try Overrides.parseLimit(String($0)) }
            options.skipFiles = skipFiles
            options.skipPackages = skipPackages
            options.skipDatabase = skipDatabase
            options.simulate = simulate
            options.force = force
            let keyfile = self.keyfile, noninteractive = self.noninteractive
            func restore(force: Bool) throws -> SystemRestoreResult {
                var attempt = options
                attempt.force = force
                return try SystemRestore(options: attempt, passphrase: {
                    if let hub, keyfile == nil { return try hub.secret(noninteractive: noninteractive).bytes }
                    return try BackupSecretSource.load(keyfile: keyfile, noninteractive: noninteractive, registry: registry).bytes
                }, progress: reporter).run()
            }
            let result: SystemRestoreResult
            do {
                result = try restore(force: force)
            } catch BamError.incompatible(let message) where !force && !noninteractive && !output.json && isatty(0) != 0 {
                // On a terminal, ask (as the original does) instead of exiting 10.
                guard try PassphrasePrompt.confirm("\(message).\nRestore anyway? [y/N] ") else { throw BamError.incompatible(message) }
                result = try restore(force: true)
            }
            reporter.summary(SystemRestoreSummary.fields(result, root: system.root), text: SystemRestoreSummary.text(result, root: system.root))
        }

        private func runRaw(_ destination: String, _ hub: HubRestoreSource?, _ reporter: CommandReporter) throws {
            let secret = try hub.flatMap { keyfile == nil ? $0 : nil }?.secret(noninteractive: noninteractive)
                ?? BackupSecretSource.load(keyfile: keyfile, noninteractive: noninteractive, registry: registryOptions.registry)
            let address = hub?.record.address ?? self.address!
            var options = ArchiveRestoreOptions(address: address, destination: destination, scratchRoot: cacheRoot)
            options.time = try time.map(TimeArgument.parse)
            options.path = try path.map(RestorePathArgument.parse)
            options.force = force
            options.refuseSpecialFiles = noSpecialFiles
            let result = try ArchiveRestore(options: options, passphrase: secret.bytes, progress: reporter).run()
            reporter.summary([
                ("operation", .string("restore")),
                ("time", .string(BackupTime.format(result.time))),
                ("destination", .string(destination)),
                ("sets", .int(Int64(result.sets))),
                ("volumes", .int(Int64(result.volumes))),
                ("files", .int(Int64(result.files))),
                ("bytes", .int(result.bytes)),
            ], text: """
                restored the backup of \(BackupTime.display(result.time)) into \(destination)
                \(result.files) files, \(ByteCount.format(result.bytes)) from \(result.sets) set(s), \(result.volumes) volume(s) in \(String(format: "%.1f", reporter.elapsed)) s
                """)
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
