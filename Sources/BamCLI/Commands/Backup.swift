import ArgumentParser
import BamEngine
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

        @Option(help: ArgumentHelp("Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX (default: the address the Hub chose for this server's record, else the registry's backup address).", valueName: "URL"))
        var address: String?

        @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Local cache of manifests and signatures, and scratch space (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
        var cacheDirectory: String?

        @Option(name: .customLong("full-backup"), help: ArgumentHelp("'now' for a new full backup, or an age like 1M: full when the last full backup is older (default: conf's full-backup, 1M).", valueName: "FREQ"))
        var fullBackup: String?

        @Option(help: ArgumentHelp("Volume size in MiB (default: conf's volsize, 25).", valueName: "MB"))
        var volsize: Int?

        @OptionGroup var system: SystemRootOptions

        @Option(name: .customLong("force-profile"), help: ArgumentHelp("Compare with this profile directory, or 'empty' (everything is new), instead of the registry's profile.", valueName: "DIR|empty"))
        var forceProfile: String?

        @Flag(name: .customLong("skip-files"), help: "Back up no files, users or groups (only packages and databases).")
        var skipFiles = false

        @Flag(name: .customLong("skip-packages"), help: "Do not record the packages installed since the profile.")
        var skipPackages = false

        @Flag(name: .customLong("skip-database"), help: "Back up no databases (MySQL/MariaDB into myfs/, PostgreSQL into pgfs/); without it, a database that cannot be dumped fails the backup.")
        var skipDatabase = false

        @Flag(help: "Show what would be backed up; store nothing.")
        var simulate = false

        @Option(help: ArgumentHelp("Write the extract (extras and changed files) into this directory instead of uploading.", valueName: "DIR"))
        var dump: String?

        @Argument(parsing: .postTerminator, help: ArgumentHelp("Limits after '--': /path, mysql:DB[/TABLE] or pgsql:DB[/TABLE] to include, with '-' to exclude (added to the overrides).", valueName: "LIMIT"))
        var limits: [String] = []

        @OptionGroup var storage: StorageOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        var cacheRoot: String {
            if let cacheDirectory { return cacheDirectory }
            if let env = ProcessInfo.processInfo.environment["BAM_CACHE"], !env.isEmpty { return env }
            return "/var/cache/bam"
        }

        func validate() throws {
            let sizes = BamConf.volsizeRange
            if let volsize, !sizes.contains(volsize) { throw ValidationError("--volsize must be between \(sizes.lowerBound) and \(sizes.upperBound) MiB") }
            if let fullBackup { do { _ = try FullBackupPolicy.parse(fullBackup) } catch { throw ValidationError("--full-backup: \(error)") } }
            if rawUpload != nil {
                if address == nil { throw ValidationError("--raw-upload needs --address") }
                if simulate || dump != nil || !limits.isEmpty || forceProfile != nil || skipFiles || skipPackages || skipDatabase {
                    throw ValidationError("--raw-upload backs up a directory as it is: it takes no limits, profile, --skip-*, --simulate or --dump")
                }
            }
            if simulate && dump != nil { throw ValidationError("--simulate and --dump exclude each other") }
            for limit in limits {
                do { _ = try Overrides.parseLimit(limit) } catch { throw ValidationError("\(error)") }
            }
        }

        func run() throws {
            try output.run { reporter in
                storage.install(registry: registryOptions.registry)
                if let rawUpload { try runRaw(rawUpload, reporter) } else { try runSystem(reporter) }
            }
        }

        private func runSystem(_ reporter: CommandReporter) throws {
            let registry = registryOptions.registry
            var options = SystemBackupOptions(registry: registry)
            options.root = system.root
            options.confDirectory = system.conf
            // Linked to a Hub (and no --address): the Hub's profile, fresh
            // storage credentials, and the record whose address the Hub chose.
            var hub: (session: HubSession, record: HubRecord?)?
            if address == nil && registry.isHubLinked {
                let session = try HubSession(registry: registry, warn: { reporter.report(.warning($0)) })
                let profileID = ProfileID.detect(root: system.root)
                if forceProfile == nil { try session.updateProfile(profileID: profileID) }
                var record: HubRecord?
                if !simulate && dump == nil {
                    record = try session.backupRecord(profileID: profileID).record
                    try session.refreshCredentials(backupID: record?.backupID)
                }
                hub = (session, record)
            }
            options.address = try hub?.record?.address ?? address ?? ((simulate || dump != nil) ? nil : RegistryBackupAddress.load(registry))
            options.cacheRoot = cacheRoot
            options.limits = try limits.map(Overrides.parseLimit)
            if skipFiles { options.skipFiles = true }
            if skipPackages { options.skipPackages = true }
            if skipDatabase { options.skipDatabase = true }
            options.forceProfile = forceProfile
            options.simulate = simulate
            options.dumpDirectory = dump
            options.fullBackup = try fullBackup.map(FullBackupPolicy.parse)
            options.volumeSize = volsize
            if let hub, let record = hub.record { hub.session.setInProgress(record, true) }
            let result: SystemBackupResult
            do {
                result = try SystemBackup(options: options, passphrase: { try registry.loadSecret().bytes }, progress: reporter).run()
            } catch {
                if let hub, let record = hub.record { hub.session.setInProgress(record, false) }
                throw error
            }
            if let hub, let record = hub.record, result.archive != nil {
                defer { hub.session.setInProgress(record, false) }
                try hub.session.backupDone(record)
            }

            let delta = result.delta
            var fields: [(String, JSONValue)] = [
                ("operation", .string("backup")),
                ("mode", .string(simulate ? "simulate" : dump != nil ? "dump" : "upload")),
                ("root", .string(system.root)),
                ("profile_id", .string(result.profileID)),
                ("profile", .string(result.profile)),
                ("overwritten", .int(Int64(delta?.overwritten ?? 0))),
                ("stat_changed", .int(Int64(delta?.statChanged ?? 0))),
                ("deleted", .int(Int64(delta?.deleted ?? 0))),
                ("new_packages", .array(result.newPackages.map { .string($0) })),
                ("mysql_databases", .array((result.databases?.mysql?.databases ?? []).map { .string($0) })),
                ("pgsql_databases", .array((result.databases?.pgsql ?? []).map { .string($0) })),
            ]
            var text = "profile \(result.profileID) (\(result.profile)): \(delta?.overwritten ?? 0) changed or new file(s), \(delta?.statChanged ?? 0) owner/mode change(s), \(delta?.deleted ?? 0) deletion(s); \(result.newPackages.count) new package(s)"
            if let d = result.databases, d.mysql != nil || d.pgsql != nil {
                text += "\ndatabases: MySQL \(d.mysql.map { "\($0.databases.joined(separator: " ")) (\($0.tables) tables, \($0.rows) rows)" } ?? "none"); PostgreSQL \(d.pgsql?.joined(separator: " ") ?? "none")"
            }
            if simulate {
                fields.append(("file_list", .array(result.overlayPaths.map { .string($0) })))
                text += "\nwould back up:\n" + result.overlayPaths.map { "  " + $0 }.joined(separator: "\n")
                if !result.newPackages.isEmpty { text += "\nnew packages: " + result.newPackages.joined(separator: " ") }
                text += "\n(simulation: nothing was stored)"
            } else if let dump {
                fields.append(("dump", .string(dump)))
                text += "\nextract written to \(dump)"
            } else if let archive = result.archive, let address = options.address {
                // The registry remembers where its backup went, so a plain
                // `bam restore` (or the next `bam backup`) needs no --address.
                // Solo, --address makes the registry point there; linked to a
                // Hub, --address is a one-off target and the Hub's record
                // stays. `updated` feeds 'bam status'.
                if self.address != nil && !registry.isHubLinked {
                    try HubBackupRegistration(address: address, updated: HubBackupRegistration.timestamp()).save(in: registry)
                } else if hub == nil, var registration = try HubBackupRegistration.load(registry) {
                    registration.updated = HubBackupRegistration.timestamp()
                    try registration.save(in: registry)
                }
                if let record = hub?.record { fields.append(("backup_id", .string(record.backupID))) }
                let s = archive.statistics
                let kind = archive.incremental ? "incremental" : "full"
                fields += [
                    ("kind", .string(kind)), ("time", .string(BackupTime.format(archive.time))), ("address", .string(address)),
                    ("files", .int(Int64(s.sourceFiles))), ("volumes", .int(Int64(s.volumes))), ("stored_bytes", .int(s.storedBytes)),
                ]
                text += "\n\(kind) backup \(BackupTime.format(archive.time)) to \(address): \(s.sourceFiles) entries, \(s.volumes) volume(s), \(ByteCount.format(s.storedBytes)) in \(String(format: "%.1f", reporter.elapsed)) s"
            }
            reporter.summary(fields, text: text)
        }

        private func runRaw(_ source: String, _ reporter: CommandReporter) throws {
            let secret = try registryOptions.registry.loadSecret()
            let address = self.address!
            var options = ArchiveBackupOptions(source: source, address: address, cacheRoot: cacheRoot)
            options.volumeSize = Int64(volsize ?? 25) << 20
            options.fullBackup = try FullBackupPolicy.parse(fullBackup ?? "1M")
            let result = try ArchiveBackup(options: options, passphrase: secret.bytes, progress: reporter).run()
            let s = result.statistics
            let kind = result.incremental ? "incremental" : "full"
            reporter.summary([
                ("operation", .string("backup")),
                ("kind", .string(kind)),
                ("time", .string(BackupTime.format(result.time))),
                ("address", .string(address)),
                ("files", .int(Int64(s.sourceFiles))),
                ("bytes", .int(s.sourceBytes)),
                ("new", .int(Int64(s.newFiles))),
                ("changed", .int(Int64(s.changedFiles))),
                ("deleted", .int(Int64(s.deletedFiles))),
                ("unchanged", .int(Int64(s.unchangedFiles))),
                ("volumes", .int(Int64(s.volumes))),
                ("stored_bytes", .int(s.storedBytes)),
            ], text: """
                \(kind) backup \(BackupTime.format(result.time)) to \(address)
                files: \(s.sourceFiles) (\(ByteCount.format(s.sourceBytes))); new \(s.newFiles), changed \(s.changedFiles), deleted \(s.deletedFiles), unchanged \(s.unchangedFiles)
                stored: \(s.volumes) volume(s), \(ByteCount.format(s.storedBytes)) in \(String(format: "%.1f", reporter.elapsed)) s
                """)
        }
    }
}
