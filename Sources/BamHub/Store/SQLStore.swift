import BamEngine
import Foundation

/// `HubStore` over `SQLConnection`s. The SQL is portable between SQLite
/// and PostgreSQL (text and bigint columns, `RETURNING`, `ON CONFLICT`), so
/// the two backends differ only in their connections. Each statement runs
/// on a connection of a small pool, taken for that statement alone: on
/// PostgreSQL several requests' statements (and their commits' WAL
/// flushes) proceed at once instead of queueing behind one connection;
/// SQLite, whose writes serialise anyway, keeps one.
public final class SQLStore: HubStore, @unchecked Sendable {
    private let dialect: SQLDialect
    private let available = NSCondition()
    /// Connections no statement is using; guarded by `available`.
    private var idle: [SQLConnection]
    private var opened: Int
    private let limit: Int
    private let open: (@Sendable () throws -> SQLConnection)?

    /// Connections a PostgreSQL store opens at most, as statements need
    /// them (an admin command opens one): enough for what one process runs
    /// at once on a few cores, few enough that several processes stay far
    /// below PostgreSQL's default of 100.
    public static let postgresConnections = 8

    /// The advisory lock key migrations hold on PostgreSQL ("bamhub" in ASCII).
    static let migrationLock: Int64 = 0x62_61_6D_68_75_62

    public init(connection: SQLConnection) {
        dialect = connection.dialect
        idle = [connection]
        opened = 1
        limit = 1
        open = nil
    }

    public init(database: String) throws {
        let first = try DatabaseURL.open(database)
        dialect = first.dialect
        idle = [first]
        opened = 1
        limit = first.dialect == .postgres ? Self.postgresConnections : 1
        open = { try DatabaseURL.open(database) }
    }

    /// An idle connection, a new one while under the limit, or the first
    /// to come back.
    private func checkout() throws -> SQLConnection {
        available.lock()
        while true {
            if let connection = idle.popLast() {
                available.unlock()
                return connection
            }
            if opened < limit, let open {
                opened += 1
                available.unlock()
                do { return try open() } catch {
                    available.lock()
                    opened -= 1
                    available.signal()
                    available.unlock()
                    throw error
                }
            }
            available.wait()
        }
    }

    private func checkin(_ connection: SQLConnection) {
        available.lock()
        idle.append(connection)
        available.signal()
        available.unlock()
    }

    private func withConnection<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    func run(_ sql: String, _ parameters: [SQLValue] = []) throws -> [SQLRow] {
        try withConnection { try $0.query(sql, parameters) }
    }

    public func migrate() throws {
        let serial = dialect.serialPrimaryKey
        let script = """
            CREATE TABLE IF NOT EXISTS accounts (
                id \(serial),
                email TEXT NOT NULL UNIQUE,
                apikey_hash TEXT NOT NULL UNIQUE,
                storage_token TEXT NOT NULL UNIQUE,
                created BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS subkeys (
                hash TEXT PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                created BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS regions (
                name TEXT PRIMARY KEY,
                endpoint TEXT NOT NULL,
                bucket TEXT NOT NULL,
                latitude TEXT NOT NULL,
                longitude TEXT NOT NULL,
                access_key TEXT,
                secret_key TEXT,
                sts_role TEXT,
                is_default BIGINT NOT NULL DEFAULT 0,
                iam_users BIGINT NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS records (
                id \(serial),
                account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                address TEXT NOT NULL,
                key TEXT NOT NULL,
                server_id TEXT NOT NULL,
                turnkey_version TEXT NOT NULL,
                created BIGINT NOT NULL,
                updated BIGINT NOT NULL,
                size BIGINT NOT NULL DEFAULT 0,
                description TEXT NOT NULL DEFAULT '',
                inprogress BIGINT NOT NULL DEFAULT 0,
                skpp BIGINT NOT NULL DEFAULT 0,
                region TEXT NOT NULL,
                storage_prefix TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS records_account ON records(account_id);
            CREATE INDEX IF NOT EXISTS records_account_server ON records(account_id, server_id, id);
            CREATE TABLE IF NOT EXISTS record_users (
                record_id BIGINT PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
                user_name TEXT NOT NULL,
                access_key TEXT NOT NULL,
                secret_key TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS account_users (
                account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                region TEXT NOT NULL,
                user_name TEXT NOT NULL,
                access_key TEXT NOT NULL,
                secret_key TEXT NOT NULL,
                PRIMARY KEY (account_id, region));
            CREATE TABLE IF NOT EXISTS account_user_claims (
                account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                region TEXT NOT NULL,
                claimed BIGINT NOT NULL,
                PRIMARY KEY (account_id, region));
            CREATE TABLE IF NOT EXISTS profiles (
                profile_id TEXT PRIMARY KEY,
                timestamp BIGINT NOT NULL,
                content TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS api_failures (
                address TEXT NOT NULL,
                at BIGINT NOT NULL);
            CREATE INDEX IF NOT EXISTS api_failures_address ON api_failures(address, at);
            CREATE INDEX IF NOT EXISTS api_failures_at ON api_failures(at);
            CREATE TABLE IF NOT EXISTS web_sessions (
                token_hash TEXT PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                csrf TEXT NOT NULL,
                expires BIGINT NOT NULL);
            """
        // Hub processes started together on a new PostgreSQL database would
        // race to create the same tables (CREATE ... IF NOT EXISTS is not
        // safe against a concurrent create); a transaction-scoped advisory
        // lock lets one create and the others find the tables. The script
        // is one implicit transaction, so the lock ends with it.
        // The retention tables are part of the same locked script.
        let all = script + "\n" + Self.retentionSchema.map { $0 + ";" }.joined(separator: "\n")
        let serialised = dialect == .postgres ? "SELECT pg_advisory_xact_lock(\(Self.migrationLock));\n" + all : all
        try withConnection { try $0.executeScript(serialised) }
    }

    // MARK: Accounts

    private static let accountColumns = "id, email, storage_token, created"

    private static func account(_ row: SQLRow) -> Account {
        Account(id: row[0].integer ?? 0, email: row[1].text ?? "", storageToken: row[2].text ?? "", created: row[3].integer ?? 0)
    }

    public func addAccount(email: String, apiKeyHash: String, storageToken: String, now: Int64) throws -> Account {
        if try account(email: email) != nil { throw HubStoreError.duplicate("account \(email) already exists") }
        let rows = try run(
            "INSERT INTO accounts (email, apikey_hash, storage_token, created) VALUES (?, ?, ?, ?) RETURNING \(Self.accountColumns)",
            [.text(email), .text(apiKeyHash), .text(storageToken), .integer(now)])
        return Self.account(rows[0])
    }

    public func account(email: String) throws -> Account? {
        try run("SELECT \(Self.accountColumns) FROM accounts WHERE email = ?", [.text(email)]).first.map(Self.account)
    }

    public func account(id: Int64) throws -> Account? {
        try run("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?", [.integer(id)]).first.map(Self.account)
    }

    public func account(apiKeyHash: String) throws -> Account? {
        try run("SELECT \(Self.accountColumns) FROM accounts WHERE apikey_hash = ?", [.text(apiKeyHash)]).first.map(Self.account)
    }

    public func setApiKeyHash(accountId: Int64, hash: String) throws {
        _ = try run("UPDATE accounts SET apikey_hash = ? WHERE id = ?", [.text(hash), .integer(accountId)])
    }

    public func addSubkey(hash: String, accountId: Int64, now: Int64) throws {
        _ = try run(
            "INSERT INTO subkeys (hash, account_id, created) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING",
            [.text(hash), .integer(accountId), .integer(now)])
    }

    public func account(subkeyHash: String) throws -> Account? {
        try run(
            "SELECT a.id, a.email, a.storage_token, a.created FROM subkeys s JOIN accounts a ON a.id = s.account_id WHERE s.hash = ?",
            [.text(subkeyHash)]
        ).first.map(Self.account)
    }

    // MARK: Regions

    public func addRegion(_ region: Region) throws {
        if try regions().contains(where: { $0.name == region.name }) {
            throw HubStoreError.duplicate("region \(region.name) already exists")
        }
        if region.isDefault { _ = try run("UPDATE regions SET is_default = 0") }
        _ = try run(
            """
            INSERT INTO regions (name, endpoint, bucket, latitude, longitude, access_key, secret_key, sts_role, is_default, iam_users)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(region.name), .text(region.endpoint), .text(region.bucket),
                .text(String(region.latitude)), .text(String(region.longitude)),
                region.accessKey.map(SQLValue.text) ?? .null, region.secretKey.map(SQLValue.text) ?? .null,
                region.stsRole.map(SQLValue.text) ?? .null, .integer(region.isDefault ? 1 : 0), .integer(region.iamUsers ? 1 : 0),
            ])
    }

    public func regions() throws -> [Region] {
        try run("SELECT name, endpoint, bucket, latitude, longitude, access_key, secret_key, sts_role, is_default, iam_users FROM regions ORDER BY name").map {
            r in
            Region(
                name: r[0].text ?? "", endpoint: r[1].text ?? "", bucket: r[2].text ?? "",
                latitude: Double(r[3].text ?? "") ?? 0, longitude: Double(r[4].text ?? "") ?? 0,
                accessKey: r[5].text, secretKey: r[6].text, stsRole: r[7].text, isDefault: (r[8].integer ?? 0) != 0,
                iamUsers: (r[9].integer ?? 0) != 0)
        }
    }

    // MARK: Records

    private static let recordColumns =
        "id, account_id, address, key, server_id, turnkey_version, created, updated, size, description, inprogress, skpp, region, storage_prefix"

    private static func record(_ r: SQLRow) -> BackupRecord {
        BackupRecord(
            id: r[0].integer ?? 0, accountId: r[1].integer ?? 0, address: r[2].text ?? "", key: r[3].text ?? "",
            serverId: r[4].text ?? "", turnkeyVersion: r[5].text ?? "", created: r[6].integer ?? 0,
            updated: r[7].integer ?? 0, size: r[8].integer ?? 0, description: r[9].text ?? "",
            inProgress: (r[10].integer ?? 0) != 0, skpp: (r[11].integer ?? 0) != 0,
            regionName: r[12].text ?? "", storagePrefix: r[13].text ?? "")
    }

    public func createRecord(_ record: BackupRecord) throws -> BackupRecord {
        let rows = try run(
            """
            INSERT INTO records (account_id, address, key, server_id, turnkey_version, created, updated, size, description, inprogress, skpp, region, storage_prefix)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING \(Self.recordColumns)
            """,
            [
                .integer(record.accountId), .text(record.address), .text(record.key), .text(record.serverId),
                .text(record.turnkeyVersion), .integer(record.created), .integer(record.updated), .integer(record.size),
                .text(record.description), .integer(record.inProgress ? 1 : 0), .integer(record.skpp ? 1 : 0),
                .text(record.regionName), .text(record.storagePrefix),
            ])
        return Self.record(rows[0])
    }

    public func record(id: Int64, accountId: Int64) throws -> BackupRecord? {
        try run("SELECT \(Self.recordColumns) FROM records WHERE id = ? AND account_id = ?", [.integer(id), .integer(accountId)])
            .first.map(Self.record)
    }

    public func records(accountId: Int64) throws -> [BackupRecord] {
        try run("SELECT \(Self.recordColumns) FROM records WHERE account_id = ? ORDER BY id", [.integer(accountId)]).map(Self.record)
    }

    public func records(accountId: Int64, limit: Int, offset: Int) throws -> [BackupRecord] {
        try run(
            "SELECT \(Self.recordColumns) FROM records WHERE account_id = ? ORDER BY server_id, id LIMIT ? OFFSET ?",
            [.integer(accountId), .integer(Int64(max(0, limit))), .integer(Int64(max(0, offset)))]
        ).map(Self.record)
    }

    public func recordCount(accountId: Int64) throws -> Int {
        Int(try run("SELECT COUNT(*) FROM records WHERE account_id = ?", [.integer(accountId)]).first?[0].integer ?? 0)
    }

    public func latestRecord(accountId: Int64) throws -> BackupRecord? {
        try run("SELECT \(Self.recordColumns) FROM records WHERE account_id = ? ORDER BY id DESC LIMIT 1", [.integer(accountId)])
            .first.map(Self.record)
    }

    public func updateRecord(_ record: BackupRecord) throws {
        _ = try run(
            """
            UPDATE records SET address = ?, key = ?, server_id = ?, updated = ?, size = ?, description = ?, inprogress = ?, skpp = ?
            WHERE id = ? AND account_id = ?
            """,
            [
                .text(record.address), .text(record.key), .text(record.serverId), .integer(record.updated),
                .integer(record.size), .text(record.description), .integer(record.inProgress ? 1 : 0),
                .integer(record.skpp ? 1 : 0), .integer(record.id), .integer(record.accountId),
            ])
    }

    public func deleteRecord(id: Int64, accountId: Int64) throws {
        _ = try run("DELETE FROM records WHERE id = ? AND account_id = ?", [.integer(id), .integer(accountId)])
    }

    public func setRecordUser(recordId: Int64, userName: String, accessKey: String, secretKey: String) throws {
        _ = try run(
            "INSERT INTO record_users (record_id, user_name, access_key, secret_key) VALUES (?, ?, ?, ?)",
            [.integer(recordId), .text(userName), .text(accessKey), .text(secretKey)])
    }

    public func recordUser(recordId: Int64) throws -> (userName: String, credentials: S3Credentials)? {
        guard let r = try run("SELECT user_name, access_key, secret_key FROM record_users WHERE record_id = ?", [.integer(recordId)]).first else {
            return nil
        }
        return (r[0].text ?? "", S3Credentials(accessKey: r[1].text ?? "", secretKey: r[2].text ?? ""))
    }

    public func setAccountUser(accountId: Int64, region: String, userName: String, accessKey: String, secretKey: String) throws {
        _ = try run(
            """
            INSERT INTO account_users (account_id, region, user_name, access_key, secret_key) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (account_id, region) DO NOTHING
            """,
            [.integer(accountId), .text(region), .text(userName), .text(accessKey), .text(secretKey)])
    }

    public func claimAccountUser(accountId: Int64, region: String, now: Int64, staleBefore: Int64) throws -> Bool {
        // One statement, atomic on both databases: a new row, or a stale
        // claim taken over, returns it; a live claim of another returns nothing.
        !(try run(
            """
            INSERT INTO account_user_claims (account_id, region, claimed) VALUES (?, ?, ?)
            ON CONFLICT (account_id, region) DO UPDATE SET claimed = excluded.claimed WHERE account_user_claims.claimed < ?
            RETURNING claimed
            """, [.integer(accountId), .text(region), .integer(now), .integer(staleBefore)]
        ).isEmpty)
    }

    public func releaseAccountUserClaim(accountId: Int64, region: String) throws {
        _ = try run("DELETE FROM account_user_claims WHERE account_id = ? AND region = ?", [.integer(accountId), .text(region)])
    }

    public func accountUser(accountId: Int64, region: String) throws -> (userName: String, credentials: S3Credentials)? {
        guard
            let r = try run(
                "SELECT user_name, access_key, secret_key FROM account_users WHERE account_id = ? AND region = ?",
                [.integer(accountId), .text(region)]
            ).first
        else { return nil }
        return (r[0].text ?? "", S3Credentials(accessKey: r[1].text ?? "", secretKey: r[2].text ?? ""))
    }

    // MARK: Profiles

    public func putProfile(_ profile: ProfileArchive) throws {
        // Base64 text: the same column type on both databases, no bytea/blob split.
        _ = try run(
            """
            INSERT INTO profiles (profile_id, timestamp, content) VALUES (?, ?, ?)
            ON CONFLICT (profile_id) DO UPDATE SET timestamp = excluded.timestamp, content = excluded.content
            """, [.text(profile.profileId), .integer(profile.timestamp), .text(Data(profile.content).base64EncodedString())])
    }

    public func profile(id: String) throws -> ProfileArchive? {
        guard let r = try run("SELECT profile_id, timestamp, content FROM profiles WHERE profile_id = ?", [.text(id)]).first else {
            return nil
        }
        return ProfileArchive(
            profileId: r[0].text ?? "", timestamp: r[1].integer ?? 0,
            content: Array(Data(base64Encoded: r[2].text ?? "") ?? Data()))
    }

    public func profileIds() throws -> [String] {
        try run("SELECT profile_id FROM profiles ORDER BY profile_id").compactMap { $0[0].text }
    }

    // MARK: Web sessions

    public func addSession(tokenHash: String, session: WebSession) throws {
        _ = try run("DELETE FROM web_sessions WHERE expires < ?", [.integer(session.expires - 86400 * 30)])
        _ = try run(
            "INSERT INTO web_sessions (token_hash, account_id, csrf, expires) VALUES (?, ?, ?, ?)",
            [.text(tokenHash), .integer(session.accountId), .text(session.csrfToken), .integer(session.expires)])
    }

    public func session(tokenHash: String, now: Int64) throws -> WebSession? {
        guard let r = try run("SELECT account_id, csrf, expires FROM web_sessions WHERE token_hash = ?", [.text(tokenHash)]).first else {
            return nil
        }
        let session = WebSession(accountId: r[0].integer ?? 0, csrfToken: r[1].text ?? "", expires: r[2].integer ?? 0)
        return session.expires > now ? session : nil
    }

    public func deleteSession(tokenHash: String) throws {
        _ = try run("DELETE FROM web_sessions WHERE token_hash = ?", [.text(tokenHash)])
    }

    // MARK: Failed keys

    public func addFailure(address: String, at: Int64, forgetUpTo expired: Int64) throws {
        _ = try run("DELETE FROM api_failures WHERE at <= ?", [.integer(expired)])
        _ = try run("INSERT INTO api_failures (address, at) VALUES (?, ?)", [.text(address), .integer(at)])
    }

    public func failureCount(address: String, after: Int64) throws -> Int {
        let row = try run("SELECT COUNT(*) FROM api_failures WHERE address = ? AND at > ?", [.text(address), .integer(after)]).first
        return Int(row?[0].integer ?? 0)
    }
}
