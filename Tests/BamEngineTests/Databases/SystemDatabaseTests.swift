import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Databases inside whole-system backup, restore and rollback, with the
/// servers named by conf keys (mysql-defaults-file, pgsql-host/port/user).
@Suite("databases in whole-system backup, restore and rollback", .needs(.databases))
struct SystemDatabaseTests {
    static func conf(_ directory: String, mysql: MariaDBServer, pgsql: PostgreSQLServer) throws {
        try Posix.makeDirectories(directory, mode: 0o755)
        let text = """
            # servers of this test
            mysql-defaults-file \(mysql.defaultsFile)
            pgsql-host \(pgsql.socketDirectory)
            pgsql-port \(pgsql.port)
            pgsql-user postgres
            """
        try Posix.writeFileAtomically(directory + "/conf", Array(text.utf8), mode: 0o644)
    }

    @Test("a server's databases travel with its backup, come back identical, and roll back")
    func travelAndRollBack() throws {
        let system = try FakeSystemRoot("sysdb")
        let (mysqlSource, mysqlTarget) = (try MariaDBServer("sys-src"), try MariaDBServer("sys-dst"))
        let (pgSource, pgTarget) = (try PostgreSQLServer("sys-src"), try PostgreSQLServer("sys-dst"))
        try mysqlSource.sql("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v BLOB); INSERT INTO app.t VALUES (1, 0x00FF), (2, NULL);")
        try mysqlTarget.sql("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v BLOB); INSERT INTO app.t VALUES (9, 0x09);")
        try pgSource.sql("CREATE DATABASE pgapp"); try pgSource.sql("CREATE ROLE appuser LOGIN")
        try pgSource.sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'ünï');", database: "pgapp")
        try Self.conf(system.conf, mysql: mysqlSource, pgsql: pgSource)

        var backup = system.backupOptions()
        backup.dumpDirectory = system.base + "/extract"
        let result = try SystemBackup(options: backup, passphrase: { [] }).run()
        #expect(result.databases?.mysql?.databases.sorted() == ["app", "mysql"])
        #expect(result.databases?.pgsql == ["pgapp"])
        #expect(Posix.fileExists(system.base + "/extract/TKLBAM/myfs/app/tables/t/rows"))
        #expect(Posix.fileExists(system.base + "/extract/TKLBAM/pgfs/pgapp/manifest.txt"))

        // --skip-database leaves them out (and needs no server).
        var skipped = system.backupOptions()
        skipped.dumpDirectory = system.base + "/extract-skip"
        skipped.skipDatabase = true
        _ = try SystemBackup(options: skipped, passphrase: { [] }).run()
        #expect(!Posix.fileExists(system.base + "/extract-skip/TKLBAM/myfs"))

        let target = try system.makeTarget()
        let targetConf = system.base + "/target-conf"
        try Self.conf(targetConf, mysql: mysqlTarget, pgsql: pgTarget)
        var restore = system.restoreOptions(target: target, extract: system.base + "/extract")
        restore.confDirectory = targetConf
        restore.limits = [try Overrides.parseLimit("-mysql:mysql")]
        let restored = try SystemRestore(options: restore, passphrase: { [] }).run()
        #expect(restored.databases?.mysql?.databases == ["app"])
        #expect(try mysqlTarget.sql("SELECT id, HEX(v) FROM app.t ORDER BY id;") == "1\t00FF\n2\tNULL\n")
        #expect(try pgTarget.sql("SELECT v FROM t", database: "pgapp") == "ünï\n")
        #expect(try pgTarget.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'appuser'") == "1\n")
        #expect(Posix.fileExists(target + RollbackStore.location + "/myfs/app/tables/t/rows"), "pre-restore dump kept")

        _ = try SystemRollback(root: target, registry: system.registry).run()
        #expect(try mysqlTarget.sql("SELECT id, HEX(v) FROM app.t ORDER BY id;") == "9\t09\n")
        #expect(try pgTarget.sql("SELECT count(*) FROM pg_database WHERE datname = 'pgapp'") == "0\n")
        #expect(try pgTarget.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'appuser'") == "0\n", "the restore's role goes too")
    }

    @Test("conf keys for the servers are checked, with the line at fault")
    func confValidation() throws {
        for (line, message) in [
            ("pgsql-port 0", "pgsql-port"), ("mysql-defaults-file relative.cnf", "absolute"),
            ("pgsql-user bad;name", "pgsql-user"),
        ] {
            do {
                _ = try BamConf.parse("volsize 10\n" + line + "\n", file: "/etc/bam/conf")
                Issue.record("accepted \(line)")
            } catch {
                #expect("\(error)".contains("/etc/bam/conf:2"), "\(error)")
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        let conf = try BamConf.parse("pgsql-host /run/pg\npgsql-port 5433\npgsql-user dbadmin\nmysql-defaults-file /etc/my.cnf\n", file: "c")
        #expect(DatabaseSettings(conf: conf) == DatabaseSettings(mysqlDefaultsFile: "/etc/my.cnf", pgsqlHost: "/run/pg", pgsqlPort: 5433, pgsqlUser: "dbadmin"))
    }
}
