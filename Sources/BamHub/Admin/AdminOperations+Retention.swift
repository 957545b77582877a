import BamEngine
import Foundation

extension AdminOperations {
    /// `bam-hub account retention EMAIL`: sets the account's policy from
    /// `keepFull` and `keepWithin` as conf writes them (either may be nil;
    /// `keepEverything` removes both rules), or, given none of them, only
    /// reads it. Returns the policy in force. Bad values are refused
    /// before anything changes.
    public static func retention(
        store: HubStore, email: String, keepFull: String?, keepWithin: String?, keepEverything: Bool
    ) throws -> RetentionPolicy {
        var requested: RetentionPolicy?
        if keepEverything {
            guard keepFull == nil, keepWithin == nil else {
                throw HubStoreError.invalid("--keep-everything takes no --keep-full or --keep-within")
            }
            requested = RetentionPolicy()
        } else if keepFull != nil || keepWithin != nil {
            do {
                requested = try HubService.retentionPolicy(keepFull: keepFull ?? "", keepWithin: keepWithin ?? "")
                if keepFull?.isEmpty == true || keepWithin?.isEmpty == true { throw HubStoreError.invalid("an empty value") }
            } catch let error as HubAPIError {
                throw HubStoreError.invalid("--\(error.detail)")
            } catch {
                throw HubStoreError.invalid("--keep-full and --keep-within need a value (--keep-everything removes the policy)")
            }
        }
        guard let account = try store.account(email: email.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw HubStoreError.notFound("no account \(email)")
        }
        if let requested { try store.setRetention(accountId: account.id, policy: requested, now: HubDate.now()) }
        return try store.retention(accountId: account.id) ?? RetentionPolicy()
    }
}
