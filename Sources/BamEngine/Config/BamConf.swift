import Deflate
import Foundation

/// The `conf` file in the configuration directory (`BAM_CONF`, the
/// original's `/etc/tklbam`): lines `<option> <value>`, whole-line `#`
/// comments, the original's keys and defaults. An unknown key or a bad
/// value is an error naming the file and line. Command-line options win
/// over these values; `setKeys` tells which ones the file gave.
public struct BamConf: Equatable, Sendable {
    public static let fileName = "conf"
    public static let keys = [
        "volsize", "s3-parallel-uploads", "full-backup", "restore-cache-size", "restore-cache-dir",
        "backup-skip-files", "backup-skip-packages", "backup-skip-database", "force-profile",
        "mysql-defaults-file", "pgsql-host", "pgsql-port", "pgsql-user", "keep-full", "keep-within", "compression",
        "sftp-key-file", "sftp-known-hosts",
        "ca-file",
    ]

    /// Volume size in megabytes.
    public var volsize = 25
    /// What `volsize` (and `--volsize`) may be: a volume is built in memory
    /// and its size shifted to bytes, so a huge value must be refused.
    public static let volsizeRange = 1...10_000
    /// What `s3-parallel-uploads` (and `--s3-parallel-uploads`) may be.
    public static let parallelUploadsRange = 1...64
    public var s3ParallelUploads = 1
    /// `s3-parallel-uploads` when the file sets it; nil leaves the choice
    /// to the command (`TargetAccess`).
    public var configuredParallelUploads: Int? { setKeys.contains("s3-parallel-uploads") ? s3ParallelUploads : nil }
    /// How hard volumes are compressed: `fast` (ISA-L) or `best` (zlib 6,
    /// gpg's and so duplicity's level). bam's own key.
    public var compression = VolumeCompression.balanced
    public var fullBackup = FullBackupInterval.olderThan(count: 1, unit: .month)
    /// `keep-full` and `keep-within`; empty (the default) keeps every chain.
    public var retention = RetentionPolicy()
    public var restoreCacheSize = RestoreCacheSize.percentOfFreeSpace(50)
    public var restoreCacheDir = "/var/cache/bam/restore"
    public var backupSkipFiles = false
    public var backupSkipPackages = false
    public var backupSkipDatabase = false
    /// A profile id, `empty`, or a profile directory; nil to detect.
    public var forceProfile: String?
    /// CA certificates (a PEM file) that replace the system store for TLS
    /// targets and the Hub; `--ca-file` wins. bam's own key.
    public var caFile: String?
    /// A MySQL client defaults file (socket, user, password); nil: the
    /// root's /etc/mysql/debian.cnf.
    public var mysqlDefaultsFile: String?
    /// PostgreSQL unix socket directory; nil: /var/run/postgresql.
    public var pgsqlHost: String?
    public var pgsqlPort: Int?
    /// The OS user (and database role) the PostgreSQL tools run as; nil: postgres.
    public var pgsqlUser: String?
    /// The private key for sftp:// targets; nil: the registry's
    /// `sftp/id_ed25519` (see `SFTPLogin`), else the ssh agent.
    public var sftpKeyFile: String?
    /// The known_hosts file sftp:// host keys are checked against; nil:
    /// the registry's `sftp/known_hosts`.
    public var sftpKnownHosts: String?
    /// The keys the file set, for command line > conf > default precedence.
    public var setKeys: Set<String> = []

    /// The defaults.
    public init() {}

    /// Reads `<directory>/conf`; a missing file gives the defaults.
    public static func load(confDirectory directory: String) throws -> BamConf {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + fileName
        guard Posix.fileExists(path) else { return BamConf() }
        return try parse(String(decoding: try Posix.readFile(path), as: UTF8.self), file: path)
    }

    /// Parses the text of a conf file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> BamConf {
        var conf = BamConf()
        for (lineNumber, rawLine) in ConfigLines.numbered(text) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ message: String) -> BamError { BamError.invalid("\(file):\(lineNumber): \(message)") }
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw fail("expected '<option> <value>', got '\(Posix.display(line))'")
            }
            let key = String(line[..<space])
            let value = line[space...].trimmingCharacters(in: .whitespaces)
            func wholeNumber(in range: ClosedRange<Int>) throws -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw fail("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(Posix.display(value))'")
                }
                return n
            }
            func boolean() throws -> Bool {
                switch value.lowercased() {
                case "true", "1", "yes": return true
                case "false", "0", "no": return false
                default: throw fail("\(key) must be true/1/yes or false/0/no, got '\(Posix.display(value))'")
                }
            }
            switch key {
            case "volsize": conf.volsize = try wholeNumber(in: volsizeRange)
            case "s3-parallel-uploads": conf.s3ParallelUploads = try wholeNumber(in: parallelUploadsRange)
            case "full-backup":
                do { conf.fullBackup = try FullBackupInterval.parse(value) } catch { throw fail("full-backup \(error)") }
            case "keep-full":
                do { conf.retention.keepFull = try RetentionPolicy.parseKeepFull(value) } catch { throw fail("keep-full \(error)") }
            case "keep-within":
                do { conf.retention.keepWithin = try RetentionPolicy.parseKeepWithin(value) } catch { throw fail("keep-within \(error)") }
            case "restore-cache-size":
                do { conf.restoreCacheSize = try RestoreCacheSize.parse(value) } catch { throw fail("restore-cache-size \(error)") }
            case "restore-cache-dir":
                guard value.hasPrefix("/") else {
                    throw fail("restore-cache-dir must be an absolute path, got '\(Posix.display(value))'")
                }
                conf.restoreCacheDir = value
            case "backup-skip-files": conf.backupSkipFiles = try boolean()
            case "backup-skip-packages": conf.backupSkipPackages = try boolean()
            case "backup-skip-database": conf.backupSkipDatabase = try boolean()
            case "force-profile": conf.forceProfile = value
            case "ca-file":
                guard value.hasPrefix("/") else { throw fail("ca-file must be an absolute path, got '\(Posix.display(value))'") }
                conf.caFile = value
            case "mysql-defaults-file", "pgsql-host":
                guard value.hasPrefix("/") else { throw fail("\(key) must be an absolute path, got '\(Posix.display(value))'") }
                if key == "pgsql-host" { conf.pgsqlHost = value } else { conf.mysqlDefaultsFile = value }
            case "pgsql-port":
                guard let port = Int(value), (1...65535).contains(port) else {
                    throw fail("pgsql-port must be a port number from 1 to 65535, got '\(Posix.display(value))'")
                }
                conf.pgsqlPort = port
            case "sftp-key-file", "sftp-known-hosts":
                guard value.hasPrefix("/") else { throw fail("\(key) must be an absolute path, got '\(Posix.display(value))'") }
                if key == "sftp-key-file" { conf.sftpKeyFile = value } else { conf.sftpKnownHosts = value }
            case "compression":
                guard let compression = VolumeCompression(rawValue: value) else {
                    throw fail("compression must be fast, balanced or best, got '\(Posix.display(value))'")
                }
                conf.compression = compression
            case "pgsql-user":
                guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                    throw fail("pgsql-user must be a user name (letters, digits, _ - .), got '\(Posix.display(value))'")
                }
                conf.pgsqlUser = value
            default:
                throw fail("unknown option '\(Posix.display(key))' (known: \(keys.joined(separator: ", ")))")
            }
            conf.setKeys.insert(key)
        }
        return conf
    }
}
