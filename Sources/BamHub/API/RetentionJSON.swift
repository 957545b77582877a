import BamEngine
import Foundation

extension RetentionPolicy {
    /// The `retention` field of bam's record answers: `keep_full` (a
    /// number) and `keep_within` (an age such as `3M`), each absent when
    /// the policy has no such rule; `{}` keeps everything.
    public var apiFields: [String: Any] {
        var fields: [String: Any] = [:]
        if let keepFull { fields["keep_full"] = keepFull }
        if let keepWithin { fields["keep_within"] = keepWithin.description }
        return fields
    }
}

extension APIRoutes {
    /// A record answer (`record/create/`, `record/<id>/`, `record/update/`):
    /// for bam with the policy that applies to it, so a server learns the
    /// account's policy on the calls it makes for every backup anyway; the
    /// original client's answers stay exactly the original Hub's.
    func recordFields(_ record: BackupRecord, for kind: HubClientKind) throws -> [String: Any] {
        var fields = record.apiFields(for: kind)
        if kind == .bam { fields["retention"] = try service.retention(of: record).policy.apiFields }
        return fields
    }
}
