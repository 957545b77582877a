import Deflate
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SystemBackupOptions {
    /// The directory that stands for `/` (`--root`).
    public var root = "/"
    /// `BAM_CONF`: `conf`, `overrides`, `hooks.d/`.
    public var confDirectory = "/etc/bam"
    public var registry: Registry
    /// Storage target; nil is only allowed with `simulate` or `dump`.
    public var address: String?
    public var cacheRoot = "/var/cache/bam"
    /// Command-line limits, appended to the overrides file's.
    public var limits: [Overrides.Limit] = []
    /// nil: as the conf says.
    public var skipFiles: Bool?
    public var skipPackages: Bool?
    public var skipDatabase: Bool?
    /// `empty`, a profile directory, or nil for conf / the registry's.
    public var forceProfile: String?
    /// Build the extras and report what would be backed up; store nothing.
    public var simulate = false
    /// Write the extract (extras and changed files as a tree) here instead of uploading.
    public var dumpDirectory: String?
    /// nil: conf's `full-backup`.
    public var fullBackup: FullBackupPolicy?
    /// Megabytes; nil: conf's `volsize`.
    public var volumeSize: Int?
    /// nil: conf's `compression`.
    public var compression: VolumeCompression?
    /// The transport choices; its parallel transfers default to conf's
    /// `s3-parallel-uploads`.
    public var access = TargetAccess()
    /// The Hub's retention policy for the record backed up to, applied
    /// when conf sets none (conf wins); nil: not backing up to a Hub record.
    public var hubRetention: RetentionPolicy?

    public init(registry: Registry) { self.registry = registry }
}

public struct SystemBackupResult {
    public var profileID: String
    public var profile: String
    public var delta: FileSystemDeltaSummary?
    /// The changed files backed up (absolute paths), for `--simulate`.
    public var overlayPaths: [String]
    public var newPackages: [String]
    public var simulated: Bool
    public var dumpDirectory: String?
    /// nil when nothing was uploaded.
    public var archive: ArchiveBackupResult?
    public var warnings: [String]
    /// What went into myfs/ and pgfs/; nil when databases were skipped.
    public var databases: DatabaseSummary?
}

/// A whole-system backup (`bam backup`): finds what changed since the
/// profile, writes the extras directory (`fsdelta`, `fsdelta-olist`,
/// `newpkgs`, `etc/passwd`, `etc/group`, shadow files, `backup-conf`), then
/// backs up the extras and the changed files as one overlay tree rooted
/// at `/`, the extras as `TKLBAM/`, with the databases in `myfs/` and
/// `pgfs/` (a database that cannot be dumped fails the backup). Hooks run `pre`, `inspect` (in the
/// extras directory), `post`, and `error` when anything fails.
public final class SystemBackup {
    let options: SystemBackupOptions
    let passphrase: () throws -> [UInt8]
    let progress: ProgressReporter

    /// `passphrase` is asked for only when something is uploaded.
    public init(options: SystemBackupOptions, passphrase: @escaping () throws -> [UInt8], progress: ProgressReporter = SilentProgress()) {
        self.options = options
        self.passphrase = passphrase
        self.progress = progress
    }

    public func run() throws -> SystemBackupResult {
        let o = options
        if !o.simulate && o.dumpDirectory == nil && o.address == nil {
            throw BamError.invalid("no storage target: give --address URL (or --simulate, or --dump DIR)")
        }
        let lock = try RunLock(path: o.registry.path + "/run.lock", purpose: "backup or restore")
        defer { lock.release() }

        let conf = try BamConf.load(confDirectory: o.confDirectory)
        let overrides = try Overrides.load(confDirectory: o.confDirectory).appending(o.limits)
        let skipFiles = o.skipFiles ?? conf.backupSkipFiles
        let skipPackages = o.skipPackages ?? conf.backupSkipPackages
        let skipDatabase = o.skipDatabase ?? conf.backupSkipDatabase
        let (profile, profileLabel) = try ProfileSource.load(forced: o.forceProfile ?? conf.forceProfile, registry: o.registry)
        let profileID = ProfileID.detect(root: o.root)

        var hooks = HookRunner(
            directories: [o.confDirectory + "/hooks.d"] + (profile.hooksDirectory.map { [$0] } ?? []),
            operation: .backup,
            environment: [
                "BAM_PROFILE_ID": profileID, "BAM_ROOT": o.root,
                "BAM_SKIP_FILES": skipFiles ? "1" : "0", "BAM_SKIP_PACKAGES": skipPackages ? "1" : "0",
                "BAM_SKIP_DATABASE": skipDatabase ? "1" : "0",
            ],
            progress: progress)

        try Posix.makeDirectories(o.cacheRoot, mode: 0o700)
        let scratch = try Posix.makeTemporaryDirectory(in: o.cacheRoot, prefix: "system-backup-")
        defer { try? Posix.removeTree(Array(scratch.utf8)) }
        let extras = ExtrasLayout(path: scratch + "/" + ExtrasLayout.overlayName)
        hooks.environment["BAM_EXTRAS"] = extras.path

        do {
            try hooks.run(.pre)
            progress.report(.phase("comparing with the profile"))
            var result = SystemBackupResult(
                profileID: profileID, profile: profileLabel, delta: nil, overlayPaths: [], newPackages: [],
                simulated: o.simulate, dumpDirectory: o.dumpDirectory, archive: nil, warnings: [])
            try Posix.makeDirectories(extras.etc, mode: 0o700)
            _ = chmod(extras.path, 0o700)
            if !skipFiles {
                let delta = FileSystemDelta(
                    root: o.root, indexPath: profile.dirIndexPath,
                    limits: PathLimits(profile.conf.rules + overrides.pathRules))
                let summary = try delta.write(fsdeltaPath: extras.fsdelta, olistPath: extras.fsdeltaOlist)
                for warning in summary.warnings {
                    progress.report(.warning(warning.description))
                    result.warnings.append(warning.description)
                }
                result.delta = summary
                try copyAccountFiles(to: extras.etc)
            }
            if !skipPackages {
                let installed = try ProfileCreator.installedPackages(root: o.root)
                result.newPackages = Array(Set(installed).subtracting(profile.packages)).sorted()
                try Posix.writeFileAtomically(extras.newpkgs, Array(result.newPackages.map { $0 + "\n" }.joined().utf8), mode: 0o600)
            }
            try BackupConfRecord(
                profileID: profileID, overrides: overrides.lines, skipFiles: skipFiles,
                skipPackages: skipPackages, skipDatabase: skipDatabase
            ).write(to: extras.backupConf)
            if !skipDatabase {
                result.databases = try DatabaseBackup(
                    root: o.root, settings: DatabaseSettings(conf: conf),
                    limits: overrides.databaseLimits, progress: progress
                ).run(extras: extras.path)
            }

            try hooks.run(.inspect, directory: extras.path)
            let olist = try OverlaySelection.readOlist(extras.fsdeltaOlist)
            result.overlayPaths = olist.map(\.description)
            let selection = OverlaySelection(olist: olist)

            if o.simulate {
                // Nothing leaves the machine.
            } else if let dump = o.dumpDirectory {
                progress.report(.phase("writing the extract to \(dump)"))
                try OverlayDump(root: o.root, progress: progress).write(extras: extras.path, olist: olist, to: dump)
            } else {
                var archive = ArchiveBackupOptions(source: o.root, address: o.address!, cacheRoot: o.cacheRoot)
                archive.include = { selection.includes($0) }
                archive.grafts = [ExtrasLayout.overlayName: extras.path]
                archive.volumeSize = Int64(o.volumeSize ?? conf.volsize) << 20
                archive.compression = o.compression ?? conf.compression
                archive.fullBackup = o.fullBackup ?? (conf.fullBackup == .now ? .always : .olderThan(Int64(conf.fullBackup.seconds)))
                // conf's policy, when it has a rule, wins over the Hub's.
                archive.retention = conf.retention.isEmpty ? (o.hubRetention ?? RetentionPolicy()) : conf.retention
                archive.storage = o.access.openOptions(
                    registryPath: o.registry.path, confParallelTransfers: conf.configuredParallelUploads, confCAFile: conf.caFile)
                archive.storage.confDirectory = o.confDirectory
                progress.report(.expected(bytes: try ConfinedRoot(root: o.root).regularFileBytes(olist), volumes: nil))
                let stored = try ArchiveBackup(options: archive, passphrase: try passphrase(), progress: progress).run()
                result.warnings += stored.statistics.warnings
                result.archive = stored
            }
            try hooks.run(.post)
            return result
        } catch {
            hooks.runError(error)
            throw error
        }
    }

    /// passwd and group (what the original kept), and shadow and gshadow,
    /// so a restore can merge passwords instead of overwriting them.
    private func copyAccountFiles(to directory: String) throws {
        let etc = (options.root.hasSuffix("/") ? options.root : options.root + "/") + "etc/"
        for kind in AccountFileKind.allCases {
            let source = etc + kind.rawValue
            guard Posix.fileExists(source) else {
                if kind == .passwd || kind == .group { throw BamError.invalid("\(source) does not exist: the root has no users to back up") }
                continue
            }
            try Posix.writeFileAtomically(directory + "/" + kind.rawValue, try Posix.readFile(source), mode: 0o600)
        }
    }
}
