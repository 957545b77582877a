import Foundation

/// What a front end asks of a restore: the `bam restore` options, typed.
/// Codable so a job can hand it to the process that runs it; it holds no
/// secret (the key and passphrase go to `RestoreUseCase` separately).
public struct RestoreRequest: Codable, Sendable, Equatable {
    public var registry: String
    public var root = "/"
    public var confDirectory = "/etc/bam"
    public var cacheRoot = "/var/cache/bam"
    /// A Hub backup record: its address and key packet come from the Hub.
    public var backupID: String?
    /// An extract directory (made by a raw download or `backup --dump`).
    public var extract: String?
    /// Only download the backup into this directory.
    public var rawDestination: String?
    public var address: String?
    /// `now`, epoch seconds, an ISO time or an age like `3D`.
    public var time: String?
    /// With a raw download: only this path, relative to the backed-up directory.
    public var path: String?
    public var refuseSpecialFiles = false
    /// `/path`, `mysql:DB[/TABLE]`, `pgsql:DB[/TABLE]`, `-` to exclude.
    public var limits: [String] = []
    public var skipFiles = false
    public var skipPackages = false
    public var skipDatabase = false
    public var simulate = false
    /// Onto a different appliance type; a raw download into a non-empty directory.
    public var force = false
    public var access = TargetAccess()

    public init(registry: String) { self.registry = registry }

    /// Refuses combinations and values no restore can run with (a usage
    /// error: exit 64 from the CLI, a form error on a page).
    public func validate() throws {
        if backupID != nil && address != nil {
            throw BamError.invalid("a BACKUP_ID names its own address (the Hub's record): drop --address")
        }
        if rawDestination != nil {
            if address == nil && backupID == nil { throw BamError.invalid("--raw-download needs --address or a BACKUP_ID") }
            if extract != nil { throw BamError.invalid("--raw-download downloads from --address; it takes no EXTRACT") }
        } else if path != nil {
            throw BamError.invalid("--path only works with --raw-download")
        } else if refuseSpecialFiles {
            throw BamError.invalid("--no-special-files only works with --raw-download")
        }
        if let time {
            do { _ = try BackupTime.parseUserTime(time) } catch { throw BamError.invalid("--time: \(error)") }
        }
        if extract != nil && (address != nil || time != nil) {
            throw BamError.invalid("an EXTRACT directory is restored as it is: it takes no --address or --time")
        }
        if let path { _ = try Self.parsePath(path) }
        for limit in limits { _ = try Overrides.parseLimit(limit) }
        try access.validate()
    }

    /// A `--path`: relative, no `..`; leading `./` and `/` and trailing `/`
    /// are dropped.
    public static func parsePath(_ text: String) throws -> [UInt8] {
        var parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        while parts.first == "." { parts.removeFirst() }
        if parts.contains("..") { throw BamError.invalid("--path must not contain '..': \(text)") }
        parts.removeAll { $0 == "." }
        return Array(parts.joined(separator: "/").utf8)
    }
}

/// Where a restore's backup secret comes from, and how a passphrase is
/// obtained when the key needs one: the front end's business (a terminal
/// prompt with retries, stdin, a form field).
public struct RestoreKey {
    /// An escrow key packet (a key file's or an upload's text); nil for
    /// the Hub record's key (a BACKUP_ID) or else the registry's secret.
    public var packet: String?
    /// Called with a prompt and a function that opens the key with a
    /// passphrase (throwing `wrongPassphrase`); returns the secret.
    public var unlock: (_ prompt: String, _ open: (String) throws -> BackupSecret) throws -> BackupSecret

    public init(packet: String? = nil, unlock: @escaping (_ prompt: String, _ open: (String) throws -> BackupSecret) throws -> BackupSecret) {
        self.packet = packet
        self.unlock = unlock
    }

    /// One passphrase, tried once (a form's field): a wrong one is exit 11.
    public static func passphrase(_ passphrase: String, packet: String? = nil) -> RestoreKey {
        RestoreKey(packet: packet) { _, open in try open(passphrase) }
    }
}

/// What a restore did (or, simulated, would do), as `bam restore --json`
/// prints it and a job keeps it. Fields a kind of restore has no value
/// for are absent.
public struct RestoreOutcome: Codable, Sendable {
    public var operation = "restore"
    // Whole-system restores.
    public var simulated: Bool?
    public var root: String?
    public var backupProfileID: String?
    public var systemProfileID: String?
    public var files: Int?
    public var statChanges: Int?
    public var deletions: Int?
    public var newUsers: [String]?
    public var newGroups: [String]?
    public var uidMap: [String: UInt32]?
    public var gidMap: [String: UInt32]?
    public var packagesToInstall: [String]?
    public var packagesAlreadyInstalled: [String]?
    public var packagesBlacklisted: [String]?
    /// The plan's lists, only when simulated: a real restore may touch millions of paths.
    public var fileList: [String]?
    public var deletionList: [String]?
    public var filesWritten: Int?
    public var statFixed: Int?
    public var deleted: Int?
    public var installedPackages: [String]?
    public var rollback: String?
    public var mysqlDatabases: [String]?
    public var pgsqlDatabases: [String]?
    // Raw downloads.
    public var time: String?
    public var destination: String?
    public var sets: Int?
    public var volumes: Int?
    public var bytes: Int64?
    /// The raw download's backup time, for the text.
    var timeSeconds: Int64?

    enum CodingKeys: String, CodingKey {
        case operation, simulated, root, files, deletions, deleted, rollback, time, destination, sets, volumes, bytes
        case backupProfileID = "backup_profile_id", systemProfileID = "system_profile_id", statChanges = "stat_changes"
        case newUsers = "new_users", newGroups = "new_groups", uidMap = "uid_map", gidMap = "gid_map"
        case packagesToInstall = "packages_to_install", packagesAlreadyInstalled = "packages_already_installed"
        case packagesBlacklisted = "packages_blacklisted", fileList = "file_list", deletionList = "deletion_list"
        case filesWritten = "files_written", statFixed = "stat_fixed", installedPackages = "installed_packages"
        case mysqlDatabases = "mysql_databases", pgsqlDatabases = "pgsql_databases"
    }

    init(system r: SystemRestoreResult, root: String) {
        let plan = r.plan
        func ids(_ map: [UInt32: UInt32]?) -> [String: UInt32] {
            Dictionary(uniqueKeysWithValues: (map ?? [:]).map { (String($0.key), $0.value) })
        }
        simulated = r.simulated
        self.root = root
        backupProfileID = plan.backupProfileID ?? ""
        systemProfileID = plan.systemProfileID
        files = plan.overwrites.count
        statChanges = plan.statFixes
        deletions = plan.deletions.count
        newUsers = plan.newUsers
        newGroups = plan.newGroups
        uidMap = ids(plan.users?.uidMap)
        gidMap = ids(plan.users?.gidMap)
        packagesToInstall = plan.packages?.toInstall ?? []
        packagesAlreadyInstalled = plan.packages?.alreadyInstalled ?? []
        packagesBlacklisted = plan.packages?.blacklisted ?? []
        if r.simulated {
            fileList = plan.overwrites.map(\.description)
            deletionList = plan.deletions.map(\.description)
        } else {
            filesWritten = r.filesWritten
            statFixed = r.statFixed
            deleted = r.deleted
            installedPackages = r.installedPackages
            rollback = r.rollbackPath ?? ""
            mysqlDatabases = r.databases?.mysql?.databases ?? []
            pgsqlDatabases = r.databases?.pgsql ?? []
        }
        databasesTouched = r.databases.map { $0.mysql != nil || $0.pgsql != nil } ?? false
    }

    init(raw r: ArchiveRestoreResult, destination: String) {
        time = BackupTime.format(r.time)
        timeSeconds = r.time
        self.destination = destination
        sets = r.sets
        volumes = r.volumes
        files = r.files
        bytes = r.bytes
    }

    /// Whether the restore dumped or loaded any database (for the text).
    private var databasesTouched = false

    /// The summary a person reads (the CLI's text output, a job's page).
    public func text(elapsed: Double) -> String {
        if let destination {
            return """
                restored the backup of \(BackupTime.display(timeSeconds ?? 0)) into \(destination)
                \(files ?? 0) files, \(ByteCount.format(bytes ?? 0)) from \(sets ?? 0) set(s), \(volumes ?? 0) volume(s) in \(String(format: "%.1f", elapsed)) s
                """
        }
        func map(_ m: [String: UInt32]?) -> String {
            let m = m ?? [:]
            return m.isEmpty ? "none" : m.keys.sorted { (UInt32($0) ?? 0) < (UInt32($1) ?? 0) }.map { "\($0)→\(m[$0]!)" }.joined(separator: " ")
        }
        func list(_ names: [String]?) -> String { (names ?? []).isEmpty ? "none" : (names ?? []).joined(separator: " ") }
        let root = self.root ?? "/"
        var lines: [String] = []
        lines.append("backup of \((backupProfileID ?? "").isEmpty ? "unknown" : backupProfileID!) onto \(root) (\(systemProfileID ?? ""))")
        lines.append("files: \(files ?? 0) to write, \(statChanges ?? 0) owner/mode change(s), \(deletions ?? 0) deletion(s)")
        if simulated == true {
            lines += (fileList ?? []).map { "  write  \($0)" }
            lines += (deletionList ?? []).map { "  delete \($0)" }
        }
        lines.append("users: new \(list(newUsers)); groups: new \(list(newGroups))")
        lines.append("uid map: \(map(uidMap)); gid map: \(map(gidMap))")
        if packagesToInstall != nil {
            lines.append(
                "packages: to install \(list(packagesToInstall)); already installed \(packagesAlreadyInstalled?.count ?? 0); blacklisted \(list(packagesBlacklisted))"
            )
        }
        if simulated == true {
            lines.append("(simulation: nothing was changed)")
        } else {
            lines.append(
                "restored: \(filesWritten ?? 0) file(s) written, \(statFixed ?? 0) owner/mode fix(es), \(deleted ?? 0) deletion(s); installed \((installedPackages ?? []).isEmpty ? "no packages" : list(installedPackages))"
            )
            if databasesTouched {
                lines.append("databases: MySQL \(list(mysqlDatabases)); PostgreSQL \(list(pgsqlDatabases))")
            }
            if let rollback, !rollback.isEmpty { lines.append("rollback data in \(rollback): 'bam restore-rollback --root \(root)' undoes this restore") }
        }
        return lines.joined(separator: "\n")
    }
}

/// A restore as every front end runs it: a raw download into a directory,
/// or a whole-system restore from a Hub record, an address, the registry's
/// address or an extract directory.
public struct RestoreUseCase {
    public let request: RestoreRequest
    public let key: RestoreKey
    public let progress: ProgressReporter

    public init(_ request: RestoreRequest, key: RestoreKey, progress: ProgressReporter = SilentProgress()) {
        self.request = request
        self.key = key
        self.progress = progress
    }

    public func run() throws -> RestoreOutcome {
        try request.validate()
        let registry = Registry(path: request.registry)
        let record = try request.backupID.map {
            try HubSession(registry: registry, caFile: request.access.caFile, warn: { progress.report(.warning($0)) }).restoreRecord($0).record
        }
        if let destination = request.rawDestination {
            var options = ArchiveRestoreOptions(
                address: record?.address ?? request.address ?? "", destination: destination,
                scratchRoot: request.cacheRoot)
            options.time = try request.time.map { try BackupTime.parseUserTime($0) }
            options.path = try request.path.map(RestoreRequest.parsePath)
            options.force = request.force
            options.refuseSpecialFiles = request.refuseSpecialFiles
            options.storage = request.access.openOptions(registryPath: request.registry)
            options.storage.confDirectory = request.confDirectory
            let secret = try self.secret(record: record, registry: registry)
            let result = try ArchiveRestore(options: options, passphrase: secret.bytes, progress: progress).run()
            return RestoreOutcome(raw: result, destination: destination)
        }
        var options = SystemRestoreOptions(registry: registry)
        options.root = request.root
        options.confDirectory = request.confDirectory
        options.cacheRoot = request.cacheRoot
        options.source = request.extract.map { .extract($0) } ?? .address(record?.address ?? request.address)
        options.time = try request.time.map { try BackupTime.parseUserTime($0) }
        options.limits = try request.limits.map(Overrides.parseLimit)
        options.skipFiles = request.skipFiles
        options.skipPackages = request.skipPackages
        options.skipDatabase = request.skipDatabase
        options.simulate = request.simulate
        options.force = request.force
        options.access = request.access
        let result = try SystemRestore(
            options: options, passphrase: { try self.secret(record: record, registry: registry).bytes },
            progress: progress
        ).run()
        return RestoreOutcome(system: result, root: request.root)
    }

    /// The backup secret: from the escrow key when one is given, else the
    /// Hub record's key packet, else the registry.
    private func secret(record: HubRecord?, registry: Registry) throws -> BackupSecret {
        if let packet = key.packet { return try open(packet, prompt: "Passphrase of the escrow key: ") }
        if let record {
            guard !record.key.isEmpty else {
                throw BamError.invalid("the Hub's record \(record.backupID) has no key packet; restore with --keyfile FILE (an escrow key)")
            }
            return try open(record.key, prompt: "Passphrase of backup \(record.backupID): ")
        }
        return try registry.loadSecret()
    }

    private func open(_ packet: String, prompt: String) throws -> BackupSecret {
        guard try KeyPacket.isPassphraseProtected(packet) else { return try KeyPacket.open(packet, passphrase: "") }
        return try key.unlock(prompt) { try KeyPacket.open(packet, passphrase: $0) }
    }
}
