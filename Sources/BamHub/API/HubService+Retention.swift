import BamEngine
import Foundation

/// Which chains an account's servers keep. The account's policy is the
/// default of every server (set on the account page or with `bam-hub
/// account retention`); a record's own policy overrides it. bam gets the
/// policy that applies in its record answers (`retention`) and applies it
/// after each backup unless its conf sets one: conf wins.
extension HubService {
    /// Where an applied policy came from, for the pages.
    public enum RetentionSource: String, Sendable {
        case record, account, none
    }

    public func accountRetention(_ account: Account) throws -> RetentionPolicy {
        try store.retention(accountId: account.id) ?? RetentionPolicy()
    }

    /// The form's values (empty: no such rule), checked as conf's lines
    /// are; the error names the field.
    public static func retentionPolicy(keepFull: String?, keepWithin: String?) throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        let full = (keepFull ?? "").trimmingCharacters(in: .whitespaces)
        let within = (keepWithin ?? "").trimmingCharacters(in: .whitespaces)
        if !full.isEmpty {
            do { policy.keepFull = try RetentionPolicy.parseKeepFull(full) } catch {
                throw HubAPIError.invalidArgument("keep-full", "\(error)")
            }
        }
        if !within.isEmpty {
            do { policy.keepWithin = try RetentionPolicy.parseKeepWithin(within) } catch {
                throw HubAPIError.invalidArgument("keep-within", "\(error)")
            }
        }
        return policy
    }

    public func setAccountRetention(_ account: Account, _ policy: RetentionPolicy) throws {
        try store.setRetention(accountId: account.id, policy: policy, now: HubDate.now())
    }

    /// A record's own policy (nil: back to the account's).
    public func setRecordRetention(account: Account, id: String, _ policy: RetentionPolicy?) throws {
        let record = try self.record(account: account, id: id)
        try store.setRetention(recordId: record.id, accountId: account.id, policy: policy, now: HubDate.now())
    }

    /// The policy bam applies to `record`'s target, and where it came from.
    public func retention(of record: BackupRecord) throws -> (policy: RetentionPolicy, source: RetentionSource) {
        if let own = try store.retention(recordId: record.id, accountId: record.accountId) { return (own, .record) }
        if let account = try store.retention(accountId: record.accountId), !account.isEmpty { return (account, .account) }
        return (RetentionPolicy(), .none)
    }
}
