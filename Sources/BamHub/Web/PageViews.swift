import BamEngine
import Foundation

/// The values the `servers` page shows: one group per server, each backup
/// with its size, dates, session counts and in-progress flag.
enum ServersView {
    static func make(service: HubService, account: Account) throws -> [String: Any] {
        let records = try service.records(account: account)
        var groups: [String: [[String: Any]]] = [:]
        for record in records {
            var row = BackupView.summary(record)
            row["retention"] = (try? service.retention(of: record).policy.description) ?? "?"
            let sessions = (try? service.storage(of: record)?.objects()).flatMap { $0 }.map(RecordStorage.sessions) ?? []
            row["fullCount"] = sessions.filter { !$0.incremental }.count
            row["incrementalCount"] = sessions.filter { $0.incremental }.count
            groups[record.serverId.isEmpty ? "(no server id)" : record.serverId, default: []].append(row)
        }
        let servers: [[String: Any]] = groups.keys.sorted().map { ["serverId": $0, "backups": groups[$0]!] }
        return ["servers": servers, "hasServers": !servers.isEmpty]
    }
}

/// The values of one backup's detail and delete pages.
enum BackupView {
    static func summary(_ record: BackupRecord) -> [String: Any] {
        [
            "id": String(record.id), "description": record.description, "serverId": record.serverId,
            "profile": record.turnkeyVersion, "created": HubDate.format(record.created),
            "updated": HubDate.format(record.updated), "size": humanSize(record.size), "bytes": String(record.size),
            "inProgress": record.inProgress, "address": record.address, "region": record.regionName,
            "skpp": record.skpp,
        ]
    }

    static func make(service: HubService, account: Account, id: String) throws -> [String: Any] {
        let record = try service.record(account: account, id: id)
        var view = summary(record)
        view["fingerprint"] = (try? KeyPacket.fingerprint(ofPacket: record.key)) ?? "?"
        view.merge(try RetentionView.make(service: service, record: record)) { _, new in new }
        do {
            let objects = try service.storage(of: record)?.objects() ?? []
            let sessions = RecordStorage.sessions(in: objects)
            view["sessions"] = sessions.reversed().map { ["time": HubDate.format($0.time), "kind": $0.incremental ? "incremental" : "full"] }
            view["hasSessions"] = !sessions.isEmpty
            view["storedSize"] = humanSize(ByteCount.total(objects.map(\.size)))
            view["objectCount"] = objects.count
        } catch {
            view["storageError"] = "cannot list the stored volumes: \(error)"
        }
        return view
    }

    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

/// A record's retention on its page: the policy bam applies after each
/// backup, where it comes from, and the override form's fields.
enum RetentionView {
    static func make(service: HubService, record: BackupRecord) throws -> [String: Any] {
        let (policy, source) = try service.retention(of: record)
        let origin: String
        switch source {
        case .record: origin = "this server's own policy"
        case .account: origin = "the account's policy"
        case .none: origin = "neither this server nor the account sets a policy"
        }
        return [
            "retention": policy.description, "retentionSource": origin, "ownRetention": source == .record,
            "keepFull": source == .record ? policy.keepFull.map(String.init) ?? "" : "",
            "keepWithin": source == .record ? policy.keepWithin?.description ?? "" : "",
        ]
    }
}
