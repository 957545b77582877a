import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Backup and restore against real PostgreSQL 15 servers the tests start.
@Suite("PostgreSQL databases: pgfs backup and restore on real servers", .needs(.databases))
struct PostgreSQLDatabaseTests {
    static let schema = #"""
        CREATE ROLE shopkeeper LOGIN PASSWORD 'keeper-pw';
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, note text, photo bytea);
        CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2));
        CREATE TABLE audit (id serial PRIMARY KEY, msg text);
        CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit(msg) VALUES ('order ' || NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
        CREATE FUNCTION double_it(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
        CREATE PROCEDURE add_order(c int, t numeric) LANGUAGE sql AS $$ INSERT INTO orders (customer_id, total) VALUES (c, t) $$;
        INSERT INTO customers VALUES (1, 'Zoë 😀 名前', E'line1\nline2\ttab\\', '\x00ff0a0d27225c'::bytea), (2, 'Bob', NULL, NULL), (3, '', '', ''::bytea);
        INSERT INTO customers SELECT 10, 'all bytes', NULL, decode(string_agg(lpad(to_hex(b), 2, '0'), ''), 'hex') FROM generate_series(0, 255) b;
        INSERT INTO orders (customer_id, total) VALUES (1, 9.99), (2, NULL), (10, 100.50);
        CREATE VIEW big_orders AS SELECT o.id, c.name, double_it(o.id) AS d FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 5;
        CREATE TABLE numbers (n int PRIMARY KEY, label text, payload bytea);
        INSERT INTO numbers SELECT g, 'row ' || g || ' – ñ', decode(md5(g::text), 'hex') FROM generate_series(1, 100000) g;
        GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO shopkeeper;
        ALTER TABLE customers OWNER TO shopkeeper;
        """#

    static func settingsRoot(_ tree: TestTree, _ server: PostgreSQLServer) throws -> (String, DatabaseSettings) {
        let root = tree.area("root-\(UUID().uuidString.prefix(8))")
        try Posix.makeDirectories(root + "/etc", mode: 0o755)
        return (root, server.settings)
    }

    static func limits(_ texts: [String]) throws -> [DatabaseLimit] {
        try texts.map { text -> DatabaseLimit in
            guard case .database(let l) = try Overrides.parseLimit(text) else { throw BamError.invalid("not a database limit") }
            return l
        }
    }

    @Test("a round trip through pgfs gives identical databases and roles")
    func roundTrip() throws {
        let source = try PostgreSQLServer("src")
        let target = try PostgreSQLServer("dst")
        try source.sql("CREATE DATABASE shop")
        try source.sql(Self.schema, database: "shop")
        try source.sql("CREATE DATABASE \"odd name\"; ")
        try source.sql("CREATE TABLE \"ta\"\"ble\" (\"col umn\" int PRIMARY KEY); INSERT INTO \"ta\"\"ble\" VALUES (1), (2);", database: "odd name")
        let work = try TestTree("pg-roundtrip")
        let extras = work.area("extras")
        let (root, settings) = try Self.settingsRoot(work, source)
        let summary = try DatabaseBackup(root: root, settings: settings, limits: [], progress: SilentProgress()).run(extras: extras)
        #expect(summary.pgsql?.sorted() == ["odd name", "shop"])
        #expect(summary.mysql == nil, "no MySQL on this root")
        for file in ["pgfs/.globals.sql", "pgfs/shop/manifest.txt", "pgfs/shop/toc.dat", "pgfs/shop/restore.sql"] {
            #expect(Posix.fileExists(extras + "/" + file), "\(file)")
        }
        let manifest = String(decoding: try Posix.readFile(extras + "/pgfs/shop/manifest.txt"), as: UTF8.self)
        #expect(manifest.hasPrefix("toc.dat\n"))

        let (targetRoot, targetSettings) = try Self.settingsRoot(work, target)
        let restored = try DatabaseRestore(root: targetRoot, settings: targetSettings, limits: [], progress: SilentProgress()).run(
            extras: extras, rollback: nil)
        #expect(restored.pgsql?.sorted() == ["odd name", "shop"])
        for db in ["shop", "odd name"] {
            let before = try source.orderedDump(db), after = try target.orderedDump(db)
            if before != after {
                try Posix.writeFileAtomically("/tmp/bam-pg-before.sql", Array(before.utf8), mode: 0o644)
                try Posix.writeFileAtomically("/tmp/bam-pg-after.sql", Array(after.utf8), mode: 0o644)
            }
            #expect(before == after, "\(db) differs (see /tmp/bam-pg-before.sql and -after.sql)")
        }
        #expect(try target.sql("SELECT rolname FROM pg_roles WHERE rolname = 'shopkeeper'") == "shopkeeper\n", "roles come from the globals")
        try target.sql("CALL add_order(2, 42)", database: "shop")
        #expect(try target.sql("SELECT msg FROM audit ORDER BY id DESC LIMIT 1", database: "shop") == "order 4\n")
        #expect(try target.sql("SELECT count(*) FROM numbers", database: "shop") == "100000\n")
        #expect(try target.sql("SELECT encode(photo, 'hex') FROM customers WHERE id = 10", database: "shop").hasPrefix("000102030405"))
        #expect(try target.sql("SELECT note IS NULL FROM customers WHERE id = 2", database: "shop") == "t\n")
    }

    @Test("limits select databases and tables; an excluded table keeps its schema; a failing dump is loud")
    func limitsAndFailure() throws {
        let source = try PostgreSQLServer("limits")
        try source.sql("CREATE DATABASE a"); try source.sql("CREATE DATABASE b")
        try source.sql(
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); CREATE TABLE big (id int); INSERT INTO big VALUES (1), (2);", database: "a")
        try source.sql("CREATE TABLE t (id int); INSERT INTO t VALUES (2);", database: "b")
        let work = try TestTree("pg-limits")
        let (root, settings) = try Self.settingsRoot(work, source)
        func backup(_ limits: [String], _ name: String) throws -> DatabaseSummary {
            try DatabaseBackup(root: root, settings: settings, limits: try Self.limits(limits), progress: SilentProgress()).run(extras: work.area(name))
        }
        #expect(try backup(["pgsql:a"], "x").pgsql == ["a"])
        #expect(try backup(["-pgsql:a"], "y").pgsql == ["b"])
        #expect(try backup(["mysql:other"], "z").pgsql?.sorted() == ["a", "b"], "MySQL limits do not narrow PostgreSQL")
        _ = try backup(["-pgsql:a/big"], "w")
        let target = try PostgreSQLServer("limits-dst")
        let (targetRoot, targetSettings) = try Self.settingsRoot(work, target)
        let restored = try DatabaseRestore(
            root: targetRoot, settings: targetSettings, limits: try Self.limits(["pgsql:a"]),
            progress: SilentProgress()
        ).run(extras: work.area("w"), rollback: nil)
        #expect(restored.pgsql == ["a"])
        #expect(try target.sql("SELECT count(*) FROM big", database: "a") == "0\n", "schema without rows")
        #expect(try target.sql("SELECT count(*) FROM t", database: "a") == "1\n")
        #expect(try target.sql("SELECT count(*) FROM pg_database WHERE datname = 'b'") == "0\n")

        // A server that cannot be dumped stops the backup, with the way out.
        source.stop()
        do {
            _ = try DatabaseBackup(root: root, settings: settings, limits: [], progress: SilentProgress()).run(extras: work.area("v"))
            Issue.record("a backup against a stopped server succeeded")
        } catch {
            #expect("\(error)".contains("PostgreSQL backup failed"), "\(error)")
            #expect("\(error)".contains("--skip-database"), "\(error)")
        }
    }

    @Test("rollback restores the pre-restore databases and drops the ones the restore created")
    func rollback() throws {
        let source = try PostgreSQLServer("rb-src")
        let target = try PostgreSQLServer("rb-dst")
        try source.sql("CREATE DATABASE shop"); try source.sql("CREATE DATABASE fresh")
        try source.sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'backup');", database: "shop")
        try target.sql("CREATE DATABASE shop"); try target.sql("CREATE DATABASE legacy")
        try target.sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'target'), (2, 'mine');", database: "shop")
        try target.sql("CREATE TABLE x (id int); INSERT INTO x VALUES (5);", database: "legacy")
        let work = try TestTree("pg-rb")
        let (root, settings) = try Self.settingsRoot(work, source)
        _ = try DatabaseBackup(root: root, settings: settings, limits: [], progress: SilentProgress()).run(extras: work.area("extras"))
        let (targetRoot, targetSettings) = try Self.settingsRoot(work, target)
        let before = try target.orderedDump("shop") + target.orderedDump("legacy")
        let store = RollbackStore(root: targetRoot)
        try Posix.makeDirectories(store.path, mode: 0o700)
        _ = try DatabaseRestore(root: targetRoot, settings: targetSettings, limits: [], progress: SilentProgress()).run(
            extras: work.area("extras"), rollback: store)
        #expect(try target.sql("SELECT v FROM t ORDER BY id", database: "shop") == "backup\n")
        try DatabaseRestore.rollBack(store, progress: SilentProgress())
        #expect(try target.orderedDump("shop") + target.orderedDump("legacy") == before)
        #expect(try target.sql("SELECT count(*) FROM pg_database WHERE datname = 'fresh'") == "0\n")
    }

    /// Everything a role is: attributes and password (pg_authid), settings
    /// global and per database, memberships with their options, comments.
    /// No VALID UNTIL reads as 'infinity': PostgreSQL cannot unset one.
    static func roleState(_ server: PostgreSQLServer) throws -> String {
        try [
            """
            SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit,
                   coalesce(rolvaliduntil, 'infinity'), rolbypassrls, rolpassword FROM pg_authid ORDER BY rolname
            """,
            """
            SELECT r.rolname, m.rolname, g.rolname, to_jsonb(a) - 'oid' - 'roleid' - 'member' - 'grantor' FROM pg_auth_members a
            JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member LEFT JOIN pg_roles g ON g.oid = a.grantor ORDER BY 1, 2, 3
            """,
            """
            SELECT coalesce(d.datname, '-'), r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
            LEFT JOIN pg_database d ON d.oid = s.setdatabase ORDER BY 1, 2
            """,
            "SELECT r.rolname, c.description FROM pg_shdescription c JOIN pg_roles r ON r.oid = c.objoid ORDER BY 1",
        ].map { try server.sql($0) }.joined(separator: "--\n")
    }

    @Test("rollback puts the roles back: created ones dropped, attributes, memberships and settings as they were")
    func rollbackRoles() throws {
        let source = try PostgreSQLServer("roles-src")
        let target = try PostgreSQLServer("roles-dst")
        try target.sql(
            """
            CREATE ROLE grp NOLOGIN; CREATE ROLE "odd role" LOGIN PASSWORD 'odd-pw' CONNECTION LIMIT 3;
            GRANT grp TO "odd role"; ALTER ROLE "odd role" SET work_mem = '8MB';
            CREATE ROLE plain NOLOGIN; COMMENT ON ROLE grp IS 'the group';
            """)
        try target.sql("CREATE DATABASE shop")
        try target.sql("ALTER ROLE \"odd role\" IN DATABASE shop SET search_path = target_path")
        try target.sql("CREATE TABLE t (id int); ALTER TABLE t OWNER TO \"odd role\";", database: "shop")
        // The backup's roles: the same names with other attributes,
        // memberships and settings, and new roles with memberships,
        // settings and objects of their own.
        try source.sql(
            """
            CREATE ROLE grp NOLOGIN CREATEDB; CREATE ROLE "odd role" NOLOGIN CREATEROLE PASSWORD 'other-pw' CONNECTION LIMIT 9;
            CREATE ROLE plain NOLOGIN; CREATE ROLE newgroup NOLOGIN; CREATE ROLE newcomer LOGIN PASSWORD 'new-pw'; CREATE ROLE squatter LOGIN;
            GRANT grp TO "odd role" WITH ADMIN OPTION; GRANT newgroup TO "odd role"; GRANT grp TO newcomer; GRANT grp TO plain;
            ALTER ROLE "odd role" SET work_mem = '64MB'; ALTER ROLE "odd role" SET statement_timeout = '5s';
            ALTER ROLE newcomer SET work_mem = '1MB'; ALTER ROLE plain PASSWORD 'plain-pw' VALID UNTIL '2030-01-01';
            ALTER ROLE plain SET search_path = a, "b c"; COMMENT ON ROLE grp IS 'theirs'; COMMENT ON ROLE plain IS 'was plain';
            """)
        try source.sql("CREATE DATABASE shop"); try source.sql("CREATE DATABASE fresh OWNER newcomer")
        try source.sql("ALTER ROLE newcomer IN DATABASE shop SET search_path = source_path")
        try source.sql("ALTER ROLE \"odd role\" IN DATABASE shop SET search_path = source_path")
        try source.sql("CREATE TABLE t (id int); ALTER TABLE t OWNER TO newcomer; GRANT SELECT ON t TO squatter;", database: "shop")
        try source.sql("CREATE TABLE f (id int); ALTER TABLE f OWNER TO newcomer;", database: "fresh")

        let work = try TestTree("pg-roles")
        let (root, settings) = try Self.settingsRoot(work, source)
        _ = try DatabaseBackup(root: root, settings: settings, limits: [], progress: SilentProgress()).run(extras: work.area("extras"))
        let (targetRoot, targetSettings) = try Self.settingsRoot(work, target)
        let before = try Self.roleState(target)
        let store = RollbackStore(root: targetRoot)
        try Posix.makeDirectories(store.path, mode: 0o700)
        _ = try DatabaseRestore(root: targetRoot, settings: targetSettings, limits: [], progress: SilentProgress()).run(
            extras: work.area("extras"), rollback: store)
        #expect(try Self.roleState(target) != before, "the restore changed the roles")
        #expect(try target.sql("SELECT tableowner FROM pg_tables WHERE tablename = 't'", database: "shop") == "newcomer\n")
        // Made after the restore by a role it created: not the restore's to take away.
        try target.sql("CREATE TABLE later (id int); ALTER TABLE later OWNER TO squatter;")

        let warnings = WarningCollector(forwardingTo: SilentProgress())
        try DatabaseRestore.rollBack(store, progress: warnings)
        #expect(warnings.warnings.count == 1, "\(warnings.warnings)")
        #expect(warnings.warnings.first?.contains("squatter") == true && warnings.warnings.first?.contains("postgres") == true, "\(warnings.warnings)")
        #expect(try target.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'squatter'") == "1\n", "kept: it owns a table made since")
        try target.sql("DROP TABLE later; DROP ROLE squatter;")
        let after = try Self.roleState(target)
        if before != after {
            try Posix.writeFileAtomically("/tmp/bam-pg-roles-before.txt", Array(before.utf8), mode: 0o644)
            try Posix.writeFileAtomically("/tmp/bam-pg-roles-after.txt", Array(after.utf8), mode: 0o644)
        }
        #expect(before == after, "roles differ (see /tmp/bam-pg-roles-before.txt and -after.txt)")
        #expect(try target.sql("SELECT tableowner FROM pg_tables WHERE tablename = 't'", database: "shop") == "odd role\n")
        #expect(try target.sql("SELECT count(*) FROM pg_database WHERE datname = 'fresh'") == "0\n")
    }
}
