import Testing

@testable import BamEngine

@Suite("Config: conf")
struct ConfigBamConfTests {
    @Test("defaults")
    func defaults() throws {
        let tree = try ScratchTree()
        let conf = try BamConf.load(confDirectory: tree.path)
        #expect(conf == BamConf())
        #expect(conf.volsize == 25)
        #expect(conf.s3ParallelUploads == 1)
        #expect(conf.fullBackup == .olderThan(count: 1, unit: .month))
        #expect(conf.restoreCacheSize == .percentOfFreeSpace(50))
        #expect(conf.restoreCacheDir == "/var/cache/bam/restore")
        #expect(!conf.backupSkipFiles && !conf.backupSkipPackages && !conf.backupSkipDatabase)
        #expect(conf.forceProfile == nil)
        #expect(conf.retention.isEmpty, "no policy: every chain is kept")
    }

    @Test("every key")
    func everyKey() throws {
        let tree = try ScratchTree()
        try tree.write(
            "conf",
            """
            # comment
            volsize 50
            s3-parallel-uploads   4
            full-backup now

            restore-cache-size 2GB
            restore-cache-dir /srv/cache dir
            backup-skip-files yes
            backup-skip-packages TRUE
            backup-skip-database 0
            force-profile turnkey-core-18.0-bookworm-amd64
            mysql-defaults-file /etc/mysql/debian.cnf
            pgsql-host /var/run/postgresql
            pgsql-port 5433
            pgsql-user postgres
            compression best
            keep-full 3
            keep-within 2W
            sftp-key-file /etc/bam/sftp key
            sftp-known-hosts /etc/bam/known_hosts
            ca-file /etc/bam/private ca.pem

            """)
        let conf = try BamConf.load(confDirectory: tree.path)
        #expect(conf.compression == .best)
        #expect(conf.volsize == 50)
        #expect(conf.s3ParallelUploads == 4)
        #expect(conf.fullBackup == .now)
        #expect(conf.restoreCacheSize == .megabytes(2048))
        #expect(conf.restoreCacheDir == "/srv/cache dir")
        #expect(conf.backupSkipFiles && conf.backupSkipPackages && !conf.backupSkipDatabase)
        #expect(conf.forceProfile == "turnkey-core-18.0-bookworm-amd64")
        #expect(conf.mysqlDefaultsFile == "/etc/mysql/debian.cnf" && conf.pgsqlHost == "/var/run/postgresql")
        #expect(conf.pgsqlPort == 5433 && conf.pgsqlUser == "postgres")
        #expect(conf.retention == RetentionPolicy(keepFull: 3, keepWithin: .olderThan(count: 2, unit: .week)))
        #expect(conf.sftpKeyFile == "/etc/bam/sftp key" && conf.sftpKnownHosts == "/etc/bam/known_hosts")
        #expect(conf.caFile == "/etc/bam/private ca.pem")
        #expect(conf.setKeys == Set(BamConf.keys))
        #expect(throws: BamError.self, "SFTP files are absolute paths") { try BamConf.parse("sftp-key-file id_ed25519\n", file: "conf") }
    }

    struct ValueCase: CustomTestStringConvertible, Sendable {
        var text: String
        var interval: FullBackupInterval?
        var testDescription: String { text }
    }

    static let intervals: [ValueCase] = [
        ValueCase(text: "now", interval: .now),
        ValueCase(text: "1M", interval: .olderThan(count: 1, unit: .month)),
        ValueCase(text: "30m", interval: .olderThan(count: 30, unit: .minute)),
        ValueCase(text: "12h", interval: .olderThan(count: 12, unit: .hour)),
        ValueCase(text: "7D", interval: .olderThan(count: 7, unit: .day)),
        ValueCase(text: "2W", interval: .olderThan(count: 2, unit: .week)),
        ValueCase(text: "1Y", interval: .olderThan(count: 1, unit: .year)),
        ValueCase(text: "M", interval: nil),
        ValueCase(text: "1d", interval: nil),
        ValueCase(text: "-1M", interval: nil),
        ValueCase(text: "Now", interval: nil),
    ]

    @Test("full-backup values", arguments: intervals)
    func fullBackup(_ testCase: ValueCase) {
        #expect(FullBackupInterval(testCase.text) == testCase.interval)
        if let interval = testCase.interval { #expect(interval.description == testCase.text) }
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "unknown key", text: "volsize 10\n\nvolume 10\n", message: "/conf:3: unknown option 'volume'"),
        BadCase(
            name: "no value", text: "# c\nvolsize\n", message: "/conf:2: expected '<option> <value>', got 'volsize'"),
        BadCase(
            name: "volsize not a number", text: "volsize big\n",
            message: "/conf:1: volsize must be a whole number from 1 to 10000, got 'big'"),
        BadCase(name: "volsize zero", text: "volsize 0\n", message: "/conf:1: volsize must be a whole number"),
        // Shifted to bytes at backup time: a huge value must stop here.
        BadCase(name: "volsize huge", text: "volsize 9223372036854775807\n", message: "/conf:1: volsize must be a whole number from 1 to 10000"),
        BadCase(name: "bad full-backup", text: "full-backup 1 month\n", message: "/conf:1: full-backup must be 'now'"),
        BadCase(
            name: "bad boolean", text: "backup-skip-files maybe\n",
            message: "/conf:1: backup-skip-files must be true/1/yes or false/0/no, got 'maybe'"),
        BadCase(
            name: "bad cache size", text: "restore-cache-size 50 percent\n",
            message: "/conf:1: restore-cache-size must be"),
        BadCase(
            name: "cache size over 100%", text: "restore-cache-size 150%\n",
            message: "/conf:1: restore-cache-size '150%' is too large"),
        BadCase(
            name: "relative cache dir", text: "restore-cache-dir cache\n",
            message: "/conf:1: restore-cache-dir must be an absolute path"),
        BadCase(
            name: "compression", text: "compression zstd\n",
            message: "/conf:1: compression must be fast, balanced or best, got 'zstd'"),
        BadCase(
            name: "parallel uploads", text: "s3-parallel-uploads 0\n",
            message: "/conf:1: s3-parallel-uploads must be a whole number from 1 to 64"),
        BadCase(
            name: "parallel uploads huge", text: "s3-parallel-uploads 100000\n",
            message: "/conf:1: s3-parallel-uploads must be a whole number from 1 to 64"),
        // These once trapped (exit 132) on every later backup: the count
        // fits in Int, its seconds or bytes do not.
        BadCase(
            name: "full-backup overflowing seconds", text: "volsize 5\nfull-backup 999999999999999999M\n",
            message: "/conf:2: full-backup '999999999999999999M' is too long an interval"),
        BadCase(
            name: "full-backup beyond Int", text: "full-backup 99999999999999999999999Y\n",
            message: "/conf:1: full-backup '99999999999999999999999Y' is too long an interval"),
        BadCase(
            name: "cache size overflowing bytes", text: "restore-cache-size 9007199254740992GB\n",
            message: "/conf:1: restore-cache-size '9007199254740992GB' is too large"),
        BadCase(
            name: "cache size just beyond bytes", text: "restore-cache-size 8796093022208\n",
            message: "/conf:1: restore-cache-size '8796093022208' is too large"),
        BadCase(name: "keep-full zero", text: "keep-full 0\n", message: "/conf:1: keep-full must be a whole number from 1 to 1000000, got '0'"),
        BadCase(name: "keep-full not a number", text: "\nkeep-full all\n", message: "/conf:2: keep-full must be a whole number"),
        BadCase(name: "keep-full huge", text: "keep-full 99999999999999999999999\n", message: "/conf:1: keep-full must be a whole number"),
        BadCase(name: "keep-within now", text: "keep-within now\n", message: "/conf:1: keep-within must be an age like 3M, 2W or 10D, not 'now'"),
        BadCase(name: "keep-within no unit", text: "keep-within 30\n", message: "/conf:1: keep-within must be an age like 3M, 2W or 10D"),
        BadCase(
            name: "keep-within overflowing seconds", text: "keep-within 999999999999999999M\n",
            message: "/conf:1: keep-within must be an age like 3M, 2W or 10D"),
        BadCase(
            name: "control bytes are escaped", text: "full-backup 1\u{1b}[2JM\n",
            message: "/conf:1: full-backup must be 'now' or a number and one of m h D W M Y (e.g. 1M), got '1\\x1b[2JM'"),
    ]

    @Test("bad lines are errors naming file and line", arguments: badCases)
    func badLines(_ testCase: BadCase) throws {
        let tree = try ScratchTree()
        try tree.write("conf", testCase.text)
        do {
            _ = try BamConf.load(confDirectory: tree.path)
            Issue.record("expected an error")
        } catch let error as BamError {
            guard case .invalid(let message) = error else {
                Issue.record("expected BamError.invalid, got \(error)")
                return
            }
            #expect(message.hasPrefix(tree.path + testCase.message), "\(message)")
        }
    }

    @Test("restore cache sizes")
    func cacheSizes() {
        #expect(RestoreCacheSize("50%") == .percentOfFreeSpace(50))
        #expect(RestoreCacheSize("1000") == .megabytes(1000))
        #expect(RestoreCacheSize("1000mb") == .megabytes(1000))
        #expect(RestoreCacheSize("2g") == .megabytes(2048))
        #expect(RestoreCacheSize("2GB") == .megabytes(2048))
        #expect(RestoreCacheSize("2TB") == nil)
        #expect(RestoreCacheSize("50%").map { $0.bytes(freeSpace: 1000) } == 500)
        // The largest accepted size still converts to bytes without a trap.
        let largest = RestoreCacheSize("\(Int64.max >> 20)")
        #expect(largest?.bytes(freeSpace: 0) == (Int64.max >> 20) << 20)
        #expect(RestoreCacheSize("\(Int.max)G") == nil)
        #expect(RestoreCacheSize("%") == nil)
    }

    @Test("the largest full-backup interval has its seconds without a trap")
    func largestInterval() {
        let count = Int.max / FullBackupInterval.Unit.year.seconds
        #expect(FullBackupInterval("\(count)Y")?.seconds == count * 31_536_000)
        #expect(FullBackupInterval("\(count + 1)Y") == nil)
    }

    struct AgeCase: CustomTestStringConvertible, Sendable {
        var text: String
        var message: String
        var testDescription: String { text }
    }

    /// `--time` and `--full-backup` ages: once multiplied and added without
    /// a check (`--time 99999999999999999Y` trapped, exit 132).
    static let hostileTimes: [AgeCase] = [
        AgeCase(text: "99999999999999999Y", message: "too large"),
        AgeCase(text: "9223372036854775807s1s", message: "too large"),
        AgeCase(text: "1Y99999999999999999999W", message: "too large"),
        AgeCase(text: "99999999999999999999", message: "out of range"),
        AgeCase(text: "999999999999", message: "out of range"),
        AgeCase(text: "-5", message: "out of range"),
        AgeCase(text: "\u{1b}[2J", message: "'\\x1b[2J'"),
    ]

    @Test("hostile --time values are errors, not traps", arguments: hostileTimes)
    func hostileTime(_ testCase: AgeCase) {
        do {
            _ = try BackupTime.parseUserTime(testCase.text, now: 1_800_000_000)
            Issue.record("accepted \(testCase.text)")
        } catch {
            #expect("\(error)".contains(testCase.message), "\(error)")
        }
    }

    @Test("ages within range still work, and reach back no further than 1970")
    func agesInRange() throws {
        #expect(try BackupTime.parseUserTime("1D", now: 1_800_000_000) == 1_800_000_000 - 86400)
        #expect(try BackupTime.parseUserTime("2h30m", now: 1_800_000_000) == 1_800_000_000 - 9000)
        #expect(try BackupTime.parseUserTime("9999999999Y", now: 1_800_000_000) == 0)
        #expect(try FullBackupPolicy.parse("1W") == .olderThan(7 * 86400))
        #expect(throws: BamError.self) { try FullBackupPolicy.parse("99999999999999999Y") }
    }
}
