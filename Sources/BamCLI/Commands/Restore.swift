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

        @Argument(
            help: ArgumentHelp(
                "A Hub backup id (see 'bam list'), or an extract directory (a path: it contains '/' or exists) to restore from instead of a storage target.",
                valueName: "BACKUP_ID|EXTRACT"))
        var source: String?

        /// The argument as an extract directory: a path, or a directory that exists.
        var extract: String? {
            guard let source else { return nil }
            return source.contains("/") || FileManager.default.fileExists(atPath: source) ? source : nil
        }

        /// The argument as a Hub backup id.
        var backupID: String? { extract == nil ? source : nil }

        @Option(
            name: .customLong("raw-download"),
            help: ArgumentHelp(
                "Only download the backup into this directory (it must not exist or be empty, unless --force); change nothing else.", valueName: "DEST"))
        var rawDownload: String?

        @Option(
            help: ArgumentHelp(
                "Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX (default: the registry's backup address).",
                valueName: "URL"))
        var address: String?

        @Option(
            name: .customLong("cache-dir"),
            help: ArgumentHelp("Local cache and scratch space for the download (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
        var cacheDirectory: String?

        @Option(
            help: ArgumentHelp("Restore the state at this time: now, epoch seconds, 2026-11-27T10:00:00, 20261127T100000Z, or an age like 3D.", valueName: "T"))
        var time: String?

        @Option(help: ArgumentHelp("With --raw-download: only this path (relative to the backed-up directory); DEST becomes it.", valueName: "P"))
        var path: String?

        @Flag(
            name: .customLong("no-special-files"),
            help: "With --raw-download: refuse (exit 13) device nodes, FIFOs and setuid/setgid files in the backup instead of restoring them as duplicity does."
        )
        var noSpecialFiles = false

        @Option(
            help: ArgumentHelp(
                "Restore limits, space-separated: /path, mysql:DB[/TABLE], pgsql:DB[/TABLE] to include, with '-' to exclude.", valueName: "LIMITS"))
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

        var cacheRoot: String { DefaultDirectory.cache(cacheDirectory) }

        /// The options as the engine's typed request.
        var request: RestoreRequest {
            var r = RestoreRequest(registry: registryOptions.registry.path)
            r.root = system.root
            r.confDirectory = system.conf
            r.cacheRoot = cacheRoot
            r.backupID = backupID
            r.extract = extract
            r.rawDestination = rawDownload
            r.address = address
            r.time = time
            r.path = path
            r.refuseSpecialFiles = noSpecialFiles
            r.limits = (limits ?? "").split(separator: " ").map(String.init)
            r.skipFiles = skipFiles
            r.skipPackages = skipPackages
            r.skipDatabase = skipDatabase
            r.simulate = simulate
            r.force = force
            r.access = storage.access
            return r
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                let packet = try keyfile.map { String(decoding: try Posix.readFile($0), as: UTF8.self) }
                let noninteractive = self.noninteractive
                let prompt = keyfile.map { "Passphrase for \($0): " }
                let key = RestoreKey(packet: packet) { enginePrompt, open in
                    try PassphrasePrompt.unlock(prompt: prompt ?? enginePrompt, noninteractive: noninteractive, open)
                }
                var request = self.request
                let outcome: RestoreOutcome
                do {
                    outcome = try RestoreUseCase(request, key: key, progress: reporter).run()
                } catch BamError.incompatible(let message) where !force && !noninteractive && !output.json && isatty(0) != 0 {
                    // On a terminal, ask (as the original does) instead of exiting 10.
                    guard try PassphrasePrompt.confirm("\(message).\nRestore anyway? [y/N] ") else { throw BamError.incompatible(message) }
                    request.force = true
                    outcome = try RestoreUseCase(request, key: key, progress: reporter).run()
                }
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text(elapsed: reporter.elapsed))
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
