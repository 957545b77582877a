import ArgumentParser
import BamEngine
import Deflate
import Foundation

extension Bam {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up what changed on this system since it was installed (or a directory tree, with --raw-upload).",
            discussion: """
                Compares the root with its profile, writes the extras (fsdelta, \
                new packages, users and groups, backup-conf) and backs them up \
                with the changed files as one duplicity chain, encrypted with the \
                registry's secret. Linked to a Hub ('bam init APIKEY'), the Hub's \
                profile is fetched when newer, the server's backup record is \
                created on the first backup and marked in progress while it runs, \
                and the backup goes to the address the Hub chose. Limits after '--' \
                (e.g. -- /srv -/srv/cache mysql:shop -pgsql:scratch) add to \
                BAM_CONF/overrides. With --raw-upload DIR, backs up DIR as it is.
                """)

        @Option(name: .customLong("raw-upload"), help: ArgumentHelp("Back up this directory as it is (no profile, no extras).", valueName: "DIR"))
        var rawUpload: String?

        @Option(
            help: ArgumentHelp(
                "Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX (default: the address the Hub chose for this server's record, else the registry's backup address).",
                valueName: "URL"))
        var address: String?

        @Option(
            name: .customLong("cache-dir"),
            help: ArgumentHelp("Local cache of manifests and signatures, and scratch space (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
        var cacheDirectory: String?

        @Option(
            name: .customLong("full-backup"),
            help: ArgumentHelp(
                "'now' for a new full backup, or an age like 1M: full when the last full backup is older (default: conf's full-backup, 1M).", valueName: "FREQ")
        )
        var fullBackup: String?

        @Option(help: ArgumentHelp("Volume size in MiB (default: conf's volsize, 25).", valueName: "MB"))
        var volsize: Int?

        @Option(
            help: ArgumentHelp(
                "Volume compression: balanced (zlib level 4 on every core, the default: no larger than duplicity's), fast (ISA-L: 5-10% larger on text, a third of the CPU time) or best (zlib level 6 on every core, as duplicity); default: conf's compression.",
                valueName: "fast|balanced|best"))
        var compression: VolumeCompression?

        @OptionGroup var system: SystemRootOptions

        @Option(
            name: .customLong("force-profile"),
            help: ArgumentHelp(
                "Compare with this profile directory, or 'empty' (everything is new), instead of the registry's profile.", valueName: "DIR|empty"))
        var forceProfile: String?

        @Flag(name: .customLong("skip-files"), help: "Back up no files, users or groups (only packages and databases).")
        var skipFiles = false

        @Flag(name: .customLong("skip-packages"), help: "Do not record the packages installed since the profile.")
        var skipPackages = false

        @Flag(
            name: .customLong("skip-database"),
            help: "Back up no databases (MySQL/MariaDB into myfs/, PostgreSQL into pgfs/); without it, a database that cannot be dumped fails the backup.")
        var skipDatabase = false

        @Flag(help: "Show what would be backed up; store nothing.")
        var simulate = false

        @Option(help: ArgumentHelp("Write the extract (extras and changed files) into this directory instead of uploading.", valueName: "DIR"))
        var dump: String?

        @Argument(
            parsing: .postTerminator,
            help: ArgumentHelp(
                "Limits after '--': /path, mysql:DB[/TABLE] or pgsql:DB[/TABLE] to include, with '-' to exclude (added to the overrides).", valueName: "LIMIT"))
        var limits: [String] = []

        @OptionGroup var storage: StorageOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        var cacheRoot: String { DefaultDirectory.cache(cacheDirectory) }

        /// The options as the engine's typed request.
        var request: BackupRequest {
            var r = BackupRequest(registry: registryOptions.registry.path)
            r.root = system.root
            r.confDirectory = system.conf
            r.cacheRoot = cacheRoot
            r.rawSource = rawUpload
            r.address = address
            r.fullBackup = fullBackup
            r.volumeSize = volsize
            r.compression = compression
            r.forceProfile = forceProfile
            r.skipFiles = skipFiles
            r.skipPackages = skipPackages
            r.skipDatabase = skipDatabase
            r.simulate = simulate
            r.dumpDirectory = dump
            r.limits = limits
            r.access = storage.access
            return r
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                let outcome = try BackupUseCase(request, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text(elapsed: reporter.elapsed))
            }
        }
    }
}
