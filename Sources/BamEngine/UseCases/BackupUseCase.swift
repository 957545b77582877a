import Deflate
import Foundation

/// What a front end asks of a backup: the `bam backup` options, typed, and
/// Codable so a job can hand it to the process that runs it.
public struct BackupRequest: Codable, Sendable, Equatable {
    public var registry: String
    public var root = "/"
    public var confDirectory = "/etc/bam"
    public var cacheRoot = "/var/cache/bam"
    /// Back up this directory as it is (no profile, no extras).
    public var rawSource: String?
    /// The target; nil for the Hub's address or the registry's.
    public var address: String?
    /// `now` or an age like `1M`; nil for conf's.
    public var fullBackup: String?
    /// MiB; nil for conf's.
    public var volumeSize: Int?
    public var forceProfile: String?
    public var skipFiles = false
    public var skipPackages = false
    public var skipDatabase = false
    public var simulate = false
    public var dumpDirectory: String?
    /// `/path`, `mysql:DB[/TABLE]`, `pgsql:DB[/TABLE]`, `-` to exclude.
    public var limits: [String] = []
    /// nil: conf's `compression` (a raw backup: fast).
    public var compression: VolumeCompression?
    public var access = TargetAccess()

    public init(registry: String) { self.registry = registry }

    /// Refuses combinations and values no backup can run with (a usage
    /// error: exit 64 from the CLI, a form error on a page).
    public func validate() throws {
        let sizes = BamConf.volsizeRange
        if let volumeSize, !sizes.contains(volumeSize) {
            throw BamError.invalid("--volsize must be between \(sizes.lowerBound) and \(sizes.upperBound) MiB")
        }
        if let fullBackup {
            do { _ = try FullBackupPolicy.parse(fullBackup) } catch { throw BamError.invalid("--full-backup: \(error)") }
        }
        if rawSource != nil {
            if address == nil { throw BamError.invalid("--raw-upload needs --address") }
            if simulate || dumpDirectory != nil || !limits.isEmpty || forceProfile != nil || skipFiles || skipPackages || skipDatabase {
                throw BamError.invalid("--raw-upload backs up a directory as it is: it takes no limits, profile, --skip-*, --simulate or --dump")
            }
        }
        if simulate && dumpDirectory != nil { throw BamError.invalid("--simulate and --dump exclude each other") }
        for limit in limits { _ = try Overrides.parseLimit(limit) }
        try access.validate()
    }

    /// What the run does with its result.
    public var mode: BackupOutcome.Mode {
        if rawSource != nil { return .raw }
        return simulate ? .simulate : dumpDirectory != nil ? .dump : .upload
    }
}

/// What a backup did, as `bam backup --json` prints it and a job keeps it.
/// Fields that a mode has no value for are absent.
public struct BackupOutcome: Codable, Sendable {
    public enum Mode: String, Codable, Sendable { case upload, simulate, dump, raw }

    public var operation = "backup"
    public var mode: Mode
    // Whole-system backups.
    public var root: String?
    public var profileID: String?
    public var profile: String?
    public var overwritten: Int?
    public var statChanged: Int?
    public var deleted: Int?
    public var newPackages: [String]?
    public var mysqlDatabases: [String]?
    public var pgsqlDatabases: [String]?
    /// What a simulation would back up.
    public var fileList: [String]?
    public var dump: String?
    /// The Hub's record the backup went to.
    public var backupID: String?
    // Stored backups (whole-system and raw).
    public var kind: String?
    public var time: String?
    public var address: String?
    public var files: Int?
    public var volumes: Int?
    public var storedBytes: Int64?
    // Raw backups.
    public var bytes: Int64?
    public var new: Int?
    public var changed: Int?
    public var unchanged: Int?
    /// One line on the databases, for the text summary.
    public var databaseSummary: String?
    /// What conf's retention policy removed after the backup.
    public var prune: PruneReport?
    /// Why that pruning failed (the backup itself succeeded).
    public var pruneFailure: String?

    enum CodingKeys: String, CodingKey {
        case operation, mode, root, profile, overwritten, deleted, dump, kind, time, address, files, volumes, bytes, new, changed, unchanged
        case profileID = "profile_id", statChanged = "stat_changed", newPackages = "new_packages"
        case mysqlDatabases = "mysql_databases", pgsqlDatabases = "pgsql_databases", fileList = "file_list"
        case backupID = "backup_id", storedBytes = "stored_bytes", databaseSummary = "database_summary"
        case prune, pruneFailure = "prune_failure"
    }

    /// The summary a person reads (the CLI's text output, a job's page).
    public func text(elapsed: Double) -> String {
        let seconds = String(format: "%.1f", elapsed)
        if mode == .raw {
            return """
                \(kind ?? "") backup \(time ?? "") to \(address ?? "")
                files: \(files ?? 0) (\(ByteCount.format(bytes ?? 0))); new \(new ?? 0), changed \(changed ?? 0), deleted \(deleted ?? 0), unchanged \(unchanged ?? 0)
                stored: \(volumes ?? 0) volume(s), \(ByteCount.format(storedBytes ?? 0)) in \(seconds) s
                """
        }
        var text =
            "profile \(profileID ?? "") (\(profile ?? "")): \(overwritten ?? 0) changed or new file(s), \(statChanged ?? 0) owner/mode change(s), \(deleted ?? 0) deletion(s); \(newPackages?.count ?? 0) new package(s)"
        if let databaseSummary { text += "\ndatabases: " + databaseSummary }
        switch mode {
        case .simulate:
            text += "\nwould back up:\n" + (fileList ?? []).map { "  " + $0 }.joined(separator: "\n")
            if let packages = newPackages, !packages.isEmpty { text += "\nnew packages: " + packages.joined(separator: " ") }
            text += "\n(simulation: nothing was stored)"
        case .dump:
            text += "\nextract written to \(dump ?? "")"
        case .upload, .raw:
            if let kind, let time, let address {
                text +=
                    "\n\(kind) backup \(time) to \(address): \(files ?? 0) entries, \(volumes ?? 0) volume(s), \(ByteCount.format(storedBytes ?? 0)) in \(seconds) s"
            }
            if let prune { text += "\n" + prune.text }
            if let pruneFailure { text += "\nwarning: " + pruneFailure }
        }
        return text
    }
}

/// A backup as every front end runs it: a raw directory, or the whole
/// system with the Hub's steps when the registry is linked to one (the
/// Hub's profile when newer, the server's record created on the first
/// backup and marked in progress while it runs, fresh storage
/// credentials, the Hub told when it is done), and the registry's record
/// of where the backup went.
public struct BackupUseCase {
    public let request: BackupRequest
    public let progress: ProgressReporter

    public init(_ request: BackupRequest, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.progress = progress
    }

    public func run() throws -> BackupOutcome {
        try request.validate()
        let registry = Registry(path: request.registry)
        if let source = request.rawSource { return try runRaw(source, registry) }
        return try runSystem(registry)
    }

    private func runSystem(_ registry: Registry) throws -> BackupOutcome {
        var options = SystemBackupOptions(registry: registry)
        options.root = request.root
        options.confDirectory = request.confDirectory
        // Linked to a Hub (and no address given): the Hub's profile, fresh
        // storage credentials, and the record whose address the Hub chose.
        var hub: (session: HubSession, record: HubRecord?)?
        if request.address == nil && registry.isHubLinked {
            let caFile = try request.access.caFile ?? BamConf.load(confDirectory: request.confDirectory).caFile
            let session = try HubSession(registry: registry, caFile: caFile, warn: { progress.report(.warning($0)) })
            let profileID = ProfileID.detect(root: request.root)
            if request.forceProfile == nil { _ = try session.updateProfile(profileID: profileID) }
            var record: HubRecord?
            if request.mode == .upload {
                record = try session.backupRecord(profileID: profileID).record
                try session.refreshCredentials(backupID: record?.backupID)
            }
            hub = (session, record)
        }
        options.address =
            try hub?.record?.address ?? request.address
            ?? (request.mode == .upload ? RegistryBackupAddress.load(registry) : nil)
        options.cacheRoot = request.cacheRoot
        options.limits = try request.limits.map(Overrides.parseLimit)
        if request.skipFiles { options.skipFiles = true }
        if request.skipPackages { options.skipPackages = true }
        if request.skipDatabase { options.skipDatabase = true }
        options.forceProfile = request.forceProfile
        options.simulate = request.simulate
        options.dumpDirectory = request.dumpDirectory
        options.fullBackup = try request.fullBackup.map(FullBackupPolicy.parse)
        options.volumeSize = request.volumeSize
        options.compression = request.compression
        options.access = request.access
        options.hubRetention = hub?.record?.retention
        if let hub, let record = hub.record { hub.session.setInProgress(record, true) }
        let result: SystemBackupResult
        do {
            result = try SystemBackup(options: options, passphrase: { try registry.loadSecret().bytes }, progress: progress).run()
        } catch {
            if let hub, let record = hub.record { hub.session.setInProgress(record, false) }
            throw error
        }
        if let hub, let record = hub.record, result.archive != nil {
            defer { hub.session.setInProgress(record, false) }
            try hub.session.backupDone(record)
        }

        var outcome = BackupOutcome(mode: request.mode)
        outcome.root = request.root
        outcome.profileID = result.profileID
        outcome.profile = result.profile
        outcome.overwritten = result.delta?.overwritten ?? 0
        outcome.statChanged = result.delta?.statChanged ?? 0
        outcome.deleted = result.delta?.deleted ?? 0
        outcome.newPackages = result.newPackages
        outcome.mysqlDatabases = result.databases?.mysql?.databases ?? []
        outcome.pgsqlDatabases = result.databases?.pgsql ?? []
        if let d = result.databases, d.mysql != nil || d.pgsql != nil {
            outcome.databaseSummary =
                "MySQL \(d.mysql.map { "\($0.databases.joined(separator: " ")) (\($0.tables) tables, \($0.rows) rows)" } ?? "none"); PostgreSQL \(d.pgsql?.joined(separator: " ") ?? "none")"
        }
        switch request.mode {
        case .simulate: outcome.fileList = result.overlayPaths
        case .dump: outcome.dump = request.dumpDirectory
        case .upload, .raw:
            guard let archive = result.archive, let address = options.address else { break }
            try remember(address: address, hubLinked: hub != nil, in: registry)
            outcome.backupID = hub?.record?.backupID
            let s = archive.statistics
            outcome.kind = archive.incremental ? "incremental" : "full"
            outcome.time = BackupTime.format(archive.time)
            outcome.address = address
            outcome.files = s.sourceFiles
            outcome.volumes = s.volumes
            outcome.storedBytes = s.storedBytes
            outcome.prune = archive.prune
            outcome.pruneFailure = archive.pruneFailure
        }
        return outcome
    }

    /// The registry remembers where its backup went, so a plain restore
    /// (or the next backup) needs no address. Solo, an explicit address
    /// makes the registry point there; linked to a Hub, an explicit
    /// address is a one-off target and the Hub's record stays. `updated`
    /// feeds `bam status`.
    private func remember(address: String, hubLinked: Bool, in registry: Registry) throws {
        if request.address != nil && !registry.isHubLinked {
            try HubBackupRegistration(address: address, updated: HubBackupRegistration.timestamp()).save(in: registry)
        } else if !hubLinked, var registration = try HubBackupRegistration.load(registry) {
            registration.updated = HubBackupRegistration.timestamp()
            try registration.save(in: registry)
        }
    }

    private func runRaw(_ source: String, _ registry: Registry) throws -> BackupOutcome {
        let secret = try registry.loadSecret()
        let address = request.address ?? ""
        var options = ArchiveBackupOptions(source: source, address: address, cacheRoot: request.cacheRoot)
        options.volumeSize = Int64(request.volumeSize ?? 25) << 20
        options.fullBackup = try FullBackupPolicy.parse(request.fullBackup ?? "1M")
        options.storage = request.access.openOptions(registryPath: request.registry)
        options.storage.confDirectory = request.confDirectory
        options.compression = request.compression ?? .balanced
        let result = try ArchiveBackup(options: options, passphrase: secret.bytes, progress: progress).run()
        let s = result.statistics
        var outcome = BackupOutcome(mode: .raw)
        outcome.kind = result.incremental ? "incremental" : "full"
        outcome.time = BackupTime.format(result.time)
        outcome.address = address
        outcome.files = s.sourceFiles
        outcome.bytes = s.sourceBytes
        outcome.new = s.newFiles
        outcome.changed = s.changedFiles
        outcome.deleted = s.deletedFiles
        outcome.unchanged = s.unchangedFiles
        outcome.volumes = s.volumes
        outcome.storedBytes = s.storedBytes
        return outcome
    }
}
