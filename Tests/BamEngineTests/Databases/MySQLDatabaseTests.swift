import BamTestSupport
import Crypto
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Backup and restore against real MariaDB servers the tests start.
@Suite("MySQL/MariaDB databases: myfs backup and restore on real servers", .needs(.databases))
struct MySQLDatabaseTests {
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A root whose /etc/mysql/debian.cnf reaches `server`.
    static func root(_ tree: TestTree, for server: MariaDBServer, password: String? = nil) throws -> String {
        let root = tree.area("root-\(UUID().uuidString.prefix(8))")
        try Posix.makeDirectories(root + "/etc/mysql", mode: 0o755)
        var text = "[client]\nhost     = localhost\nuser     = root\nsocket   = \(server.socket)\n"
        if let password { text += "password = \(password)\n" }
        try Posix.writeFileAtomically(root + "/etc/mysql/debian.cnf", Array(text.utf8), mode: 0o600)
        return root
    }

    static func backup(root: String, into extras: String, limits: [String] = []) throws -> DatabaseSummary {
        let parsed = try limits.map { limit -> DatabaseLimit in
            guard case .database(let l) = try Overrides.parseLimit(limit) else { throw BamError.invalid("not a database limit") }
            return l
        }
        return try DatabaseBackup(root: root, settings: DatabaseSettings(), limits: parsed, progress: SilentProgress()).run(extras: extras)
    }

    static func restore(root: String, from extras: String, limits: [String] = [], rollback: RollbackStore? = nil) throws -> DatabaseSummary {
        let parsed = try limits.map { limit -> DatabaseLimit in
            guard case .database(let l) = try Overrides.parseLimit(limit) else { throw BamError.invalid("not a database limit") }
            return l
        }
        return try DatabaseRestore(root: root, settings: DatabaseSettings(), limits: parsed, progress: SilentProgress()).run(extras: extras, rollback: rollback)
    }

    @Test("a round trip through myfs gives identical databases, users, grants and programs")
    func roundTrip() throws {
        let source = try MariaDBServer("src")
        let target = try MariaDBServer("dst")
        try source.sql(MySQLFixtures.shop)
        let work = try TestTree("mysql-roundtrip")
        let extras = work.area("extras")
        let summary = try Self.backup(root: try Self.root(work, for: source), into: extras)
        #expect(summary.mysql?.databases.sorted() == ["mysql", "odd name-db", "shop"])
        #expect((summary.mysql?.rows ?? 0) >= 100_000)
        // The original's layout.
        for file in [
            "myfs/shop/init", "myfs/shop/tables/customers/init", "myfs/shop/tables/customers/rows",
            "myfs/shop/tables/orders/triggers", "myfs/shop/views/big_orders/pre", "myfs/shop/views/big_orders/post",
            "myfs/shop/routines", "myfs/shop/events", "myfs/mysql/tables/global_priv/rows", "etc/mysql/debian.cnf",
        ] {
            #expect(Posix.fileExists(extras + "/" + file), "\(file)")
        }
        #expect(!Posix.fileExists(extras + "/myfs/mysql/tables/general_log/rows"), "log tables keep no data")
        let rows = String(decoding: try Posix.readFile(extras + "/myfs/shop/tables/numbers/rows"), as: UTF8.self)
        #expect(rows.split(separator: "\n").count == 100_000)
        #expect(rows.hasPrefix("1,'row 1 – ñ',0x"))

        _ = try Self.restore(root: try Self.root(work, for: target), from: extras)
        let databases = ["shop", "odd name-db"]
        let before = try source.orderedDump(databases), after = try target.orderedDump(databases)
        if before != after {
            try Posix.writeFileAtomically("/tmp/bam-mysql-before.sql", Array(before.utf8), mode: 0o644)
            try Posix.writeFileAtomically("/tmp/bam-mysql-after.sql", Array(after.utf8), mode: 0o644)
        }
        #expect(Self.sha256(before) == Self.sha256(after), "ordered dumps differ (see /tmp/bam-mysql-before.sql and -after.sql)")
        #expect(try target.grants([("app", "localhost")]) == source.grants([("app", "localhost")]))
        // The restored user can log in with its password, and the programs work.
        let appDefaults = work.area("app.cnf")
        try Posix.writeFileAtomically(appDefaults, Array("[client]\nuser=app\npassword=app-password\nsocket=\(target.socket)\n".utf8), mode: 0o600)
        try target.sql("CALL shop.add_order(2, 42.00);", defaults: appDefaults)
        #expect(try target.sql("SELECT msg FROM shop.audit ORDER BY id DESC LIMIT 1;") == "order 4\n", "the trigger fired")
        #expect(try target.sql("SELECT d FROM shop.big_orders WHERE id = 4;") == "8\n", "the view and its function work")
        #expect(try target.sql("SELECT HEX(photo) FROM shop.customers WHERE id = 10;").hasPrefix("000102030405"))
    }

    @Test("limits: positive entries select databases and add mysql; an excluded table keeps its schema, not its rows")
    func limits() throws {
        let source = try MariaDBServer("limits")
        try source.sql(MySQLFixtures.shop)
        let work = try TestTree("mysql-limits")
        let root = try Self.root(work, for: source)

        let positive = work.area("positive")
        let summary = try Self.backup(root: root, into: positive, limits: ["mysql:shop", "-mysql:shop/numbers"])
        #expect(summary.mysql?.databases.sorted() == ["mysql", "shop"])
        #expect(Posix.fileExists(positive + "/myfs/shop/tables/numbers/init"))
        #expect(!Posix.fileExists(positive + "/myfs/shop/tables/numbers/rows"))
        #expect(Posix.fileExists(positive + "/myfs/shop/tables/customers/rows"))

        let table = work.area("table")
        _ = try Self.backup(root: root, into: table, limits: ["mysql:shop/customers"])
        #expect(Posix.fileExists(table + "/myfs/shop/tables/customers/rows"))
        #expect(!Posix.fileExists(table + "/myfs/shop/tables/orders/rows"), "other tables of the database keep only their schema")
        #expect(!Posix.fileExists(table + "/myfs/odd name-db"))

        let negative = work.area("negative")
        let all = try Self.backup(root: root, into: negative, limits: ["-mysql:odd name-db"])
        #expect(all.mysql?.databases.sorted() == ["mysql", "shop"])

        // Restore limits: only the selected database comes back.
        let target = try MariaDBServer("limits-dst")
        _ = try Self.restore(root: try Self.root(work, for: target), from: negative, limits: ["mysql:shop", "-mysql:mysql"])
        #expect(try target.sql("SHOW DATABASES LIKE 'shop';") == "shop\n")
        #expect(try target.sql("SELECT COUNT(*) FROM shop.numbers;") == "100000\n")
        #expect(try target.sql("SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'app';") == "0\n", "-mysql:mysql kept the target's users")
    }

    @Test("a database that cannot be dumped fails the backup loudly, unless a limit leaves it out")
    func failureIsLoud() throws {
        let source = try MariaDBServer("fail")
        try source.sql(
            """
            CREATE DATABASE good; CREATE TABLE good.t (id INT PRIMARY KEY); INSERT INTO good.t VALUES (1);
            CREATE DATABASE broken; CREATE TABLE broken.base (id INT); CREATE VIEW broken.v AS SELECT id FROM broken.base;
            DROP TABLE broken.base;
            """)
        let work = try TestTree("mysql-fail")
        let root = try Self.root(work, for: source)
        do {
            _ = try Self.backup(root: root, into: work.area("a"))
            Issue.record("the backup of a broken database succeeded")
        } catch {
            let message = "\(error)"
            #expect(message.contains("MySQL backup failed"), "\(message)")
            #expect(message.contains("broken"), "names the database: \(message)")
            #expect(message.contains("--skip-database"), "\(message)")
        }
        let summary = try Self.backup(root: root, into: work.area("b"), limits: ["-mysql:broken"])
        #expect(summary.mysql?.databases.sorted() == ["good", "mysql"])

        // A server that is down is an error too, not a backup without databases.
        source.stop()
        #expect(throws: BamError.self) { try Self.backup(root: root, into: work.area("c")) }
    }

    @Test("root with a password in debian.cnf")
    func rootWithPassword() throws {
        let source = try MariaDBServer("password")
        try source.sql("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (7);")
        try source.sql("ALTER USER 'root'@'localhost' IDENTIFIED BY 'Root-Secret-1';")
        let work = try TestTree("mysql-password")
        let summary = try Self.backup(root: try Self.root(work, for: source, password: "Root-Secret-1"), into: work.area("x"))
        #expect(summary.mysql?.databases.sorted() == ["d", "mysql"])
        #expect(String(decoding: try Posix.readFile(work.area("x") + "/myfs/d/tables/t/rows"), as: UTF8.self) == "7\n")
        // Without it, the backup fails instead of leaving the databases out.
        #expect(throws: BamError.self) { try Self.backup(root: try Self.root(work, for: source), into: work.area("y")) }
    }

    @Test("a myfs tree in the original's layout (plain rows, a trigger, a view with a placeholder table) restores")
    func originalLayout() throws {
        let target = try MariaDBServer("orig")
        let work = try TestTree("mysql-orig")
        let myfs = work.area("extras") + "/myfs"
        func write(_ path: String, _ text: String) throws {
            try Posix.makeDirectories((myfs + "/" + path as NSString).deletingLastPathComponent, mode: 0o755)
            try Posix.writeFileAtomically(myfs + "/" + path, Array(text.utf8), mode: 0o644)
        }
        // What the original's writer leaves: statements with their `;`,
        // rows as the text inside VALUES (...), triggers `;;`-terminated.
        try write("wordpress/init", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `wordpress` /*!40100 DEFAULT CHARACTER SET utf8 */;")
        try write(
            "wordpress/tables/wp_posts/init",
            """
            CREATE TABLE `wp_posts` (
              `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
              `post_title` text NOT NULL,
              `post_blob` blob,
              PRIMARY KEY (`ID`)
            ) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8;
            """)
        try write("wordpress/tables/wp_posts/rows", "1,'Hello world!','\\0\\n\\''\n2,'Zwei',NULL\n")
        try write("wordpress/tables/wp_log/init", "CREATE TABLE `wp_log` (\n  `msg` varchar(100) DEFAULT NULL\n) ENGINE=MyISAM DEFAULT CHARSET=utf8;")
        try write(
            "wordpress/tables/wp_posts/triggers",
            """
            /*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `wp_posts_ai` AFTER INSERT ON `wp_posts` FOR EACH ROW INSERT INTO wp_log VALUES (NEW.post_title) */;;


            """)
        try write("wordpress/views/titles/pre", "/*!50001 CREATE TABLE `titles` (\n  `post_title` text\n) ENGINE=MyISAM */;")
        try write(
            "wordpress/views/titles/post",
            "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `titles` AS select `wp_posts`.`post_title` AS `post_title` from `wp_posts` */;"
        )
        _ = try Self.restore(root: try Self.root(work, for: target), from: work.area("extras"))
        #expect(try target.sql("SELECT ID, post_title, HEX(post_blob) FROM wordpress.wp_posts ORDER BY ID;") == "1\tHello world!\t000A27\n2\tZwei\tNULL\n")
        #expect(try target.sql("SELECT COUNT(*) FROM wordpress.titles;") == "2\n")
        try target.sql("INSERT INTO wordpress.wp_posts (post_title) VALUES ('new');")
        #expect(try target.sql("SELECT msg FROM wordpress.wp_log;") == "new\n", "the trigger came back")
    }

    @Test("rollback store: full pre-restore dumps; rolling back returns the target's databases and drops new ones")
    func rollback() throws {
        let source = try MariaDBServer("rb-src")
        let target = try MariaDBServer("rb-dst")
        try source.sql("CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO shop.t VALUES (1,'backup');")
        try source.sql("CREATE DATABASE fresh; CREATE TABLE fresh.t (id INT PRIMARY KEY);")
        try target.sql("CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO shop.t VALUES (1,'target'),(2,'mine');")
        try target.sql("CREATE DATABASE legacy; CREATE TABLE legacy.x (id INT PRIMARY KEY); INSERT INTO legacy.x VALUES (5);")
        let work = try TestTree("mysql-rb")
        _ = try Self.backup(root: try Self.root(work, for: source), into: work.area("extras"), limits: ["-mysql:mysql"])
        let targetRoot = try Self.root(work, for: target)
        let before = try target.orderedDump(["shop", "legacy"])
        let store = RollbackStore(root: targetRoot)
        try Posix.makeDirectories(store.path, mode: 0o700)
        _ = try Self.restore(root: targetRoot, from: work.area("extras"), rollback: store)
        #expect(try target.sql("SELECT v FROM shop.t ORDER BY id;") == "backup\n")
        #expect(try target.sql("SHOW DATABASES LIKE 'fresh';") == "fresh\n")
        #expect(Posix.fileExists(store.myfs + "/legacy/tables/x/rows"), "the pre-restore dump is in the store")
        try DatabaseRestore.rollBack(store, progress: SilentProgress())
        #expect(try target.orderedDump(["shop", "legacy"]) == before)
        #expect(try target.sql("SHOW DATABASES LIKE 'fresh';") == "", "a database the restore created is dropped")
    }
}
