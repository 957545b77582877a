import BamEngine
import Foundation

/// Retention policies on the Hub: one per account (the default of every
/// server of the account) and, optionally, one per record that overrides
/// it. Each lives in its own table, added by `migrate()` with `CREATE
/// TABLE IF NOT EXISTS`, so a database made before retention existed
/// gains them on the next start and keeps every account and record as it
/// was: an account without a row keeps everything, as before.
///
/// `keep_full` is a number (NULL: no such rule) and `keep_within` an age
/// in conf's syntax (`3M`; NULL: no such rule). Values are checked by
/// `RetentionPolicy`'s parsers when read back too: a row someone edited by
/// hand into something bam would refuse fails loudly instead of pruning by
/// a rule nobody set.
extension SQLStore {
    static let retentionSchema = [
        """
        CREATE TABLE IF NOT EXISTS account_retention (
            account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
            keep_full BIGINT,
            keep_within TEXT,
            updated BIGINT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS record_retention (
            record_id BIGINT PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
            keep_full BIGINT,
            keep_within TEXT,
            updated BIGINT NOT NULL)
        """,
    ]

    public func retention(accountId: Int64) throws -> RetentionPolicy? {
        try run("SELECT keep_full, keep_within FROM account_retention WHERE account_id = ?", [.integer(accountId)])
            .first.map { try Self.policy($0, table: "account_retention", id: accountId) }
    }

    public func setRetention(accountId: Int64, policy: RetentionPolicy, now: Int64) throws {
        let values = Self.values(policy)
        _ = try run(
            """
            INSERT INTO account_retention (account_id, keep_full, keep_within, updated) VALUES (?, ?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET keep_full = excluded.keep_full, keep_within = excluded.keep_within, updated = excluded.updated
            """, [.integer(accountId), values.keepFull, values.keepWithin, .integer(now)])
    }

    public func retention(recordId: Int64, accountId: Int64) throws -> RetentionPolicy? {
        try run(
            """
            SELECT r.keep_full, r.keep_within FROM record_retention r JOIN records c ON c.id = r.record_id
            WHERE r.record_id = ? AND c.account_id = ?
            """, [.integer(recordId), .integer(accountId)]
        ).first.map { try Self.policy($0, table: "record_retention", id: recordId) }
    }

    /// Every record's own policy in the account, by record id (one query,
    /// for pages that list records).
    public func recordRetentions(accountId: Int64) throws -> [Int64: RetentionPolicy] {
        var policies: [Int64: RetentionPolicy] = [:]
        let rows = try run(
            """
            SELECT r.keep_full, r.keep_within, r.record_id FROM record_retention r JOIN records c ON c.id = r.record_id
            WHERE c.account_id = ?
            """, [.integer(accountId)])
        for row in rows {
            guard let id = row[2].integer else { continue }
            policies[id] = try Self.policy(row, table: "record_retention", id: id)
        }
        return policies
    }

    public func setRetention(recordId: Int64, accountId: Int64, policy: RetentionPolicy?, now: Int64) throws {
        // The record must be the account's: another account's id changes nothing.
        guard try record(id: recordId, accountId: accountId) != nil else { return }
        guard let policy else {
            _ = try run("DELETE FROM record_retention WHERE record_id = ?", [.integer(recordId)])
            return
        }
        let values = Self.values(policy)
        _ = try run(
            """
            INSERT INTO record_retention (record_id, keep_full, keep_within, updated) VALUES (?, ?, ?, ?)
            ON CONFLICT (record_id) DO UPDATE SET keep_full = excluded.keep_full, keep_within = excluded.keep_within, updated = excluded.updated
            """, [.integer(recordId), values.keepFull, values.keepWithin, .integer(now)])
    }

    private static func values(_ policy: RetentionPolicy) -> (keepFull: SQLValue, keepWithin: SQLValue) {
        (policy.keepFull.map { .integer(Int64($0)) } ?? .null, policy.keepWithin.map { .text($0.description) } ?? .null)
    }

    private static func policy(_ row: SQLRow, table: String, id: Int64) throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        do {
            if let text = row[0].text { policy.keepFull = try RetentionPolicy.parseKeepFull(text) }
            if let text = row[1].text { policy.keepWithin = try RetentionPolicy.parseKeepWithin(text) }
        } catch {
            throw HubStoreError.invalid("\(table) row \(id): \(error)")
        }
        return policy
    }
}
