import BamEngine
import Foundation

/// The values the `servers` page shows: one group per server, each backup
/// with its size, dates, session counts and in-progress flag. An account of
/// thousands of servers is shown `pageSize` backups at a time: two queries
/// per page (the count, the page) plus the regions and the retention
/// policies, never one per record.
enum ServersView {
    static let pageSize = 50

    static func make(service: HubService, account: Account, page pageText: String?) throws -> [String: Any] {
        let total = try service.store.recordCount(accountId: account.id)
        let pages = max(1, (total + pageSize - 1) / pageSize)
        let page = try Self.page(pageText, of: pages)
        let records = try service.store.records(accountId: account.id, limit: pageSize, offset: (page - 1) * pageSize)
        let regions = try service.store.regions()
        // Each backup's retention: its own policy, else the account's (as
        // `HubService.retention(of:)` decides), in two queries for the page.
        let accountPolicy = try service.store.retention(accountId: account.id) ?? RetentionPolicy()
        let overrides = try service.store.recordRetentions(accountId: account.id)
        var groups: [String: [[String: Any]]] = [:]
        for record in records {
            var row = BackupView.summary(record)
            row["retention"] = (overrides[record.id] ?? accountPolicy).description
            let storage = regions.first { $0.name == record.regionName }.map { RecordStorage(region: $0, prefix: record.storagePrefix) }
            let sessions = (try? storage?.objects()).flatMap { $0 }.map(RecordStorage.sessions) ?? []
            row["fullCount"] = sessions.filter { !$0.incremental }.count
            row["incrementalCount"] = sessions.filter { $0.incremental }.count
            groups[record.serverId.isEmpty ? "(no server id)" : record.serverId, default: []].append(row)
        }
        let servers: [[String: Any]] = groups.keys.sorted().map { ["serverId": $0, "backups": groups[$0] ?? []] }
        var view: [String: Any] = [
            "servers": servers, "hasServers": !servers.isEmpty,
            "page": page, "pages": pages, "backupCount": total, "paginated": pages > 1,
        ]
        if page > 1 { view["previousPage"] = page - 1 }
        if page < pages { view["nextPage"] = page + 1 }
        return view
    }

    /// The `page` query parameter: absent is the first page; anything but
    /// a number from 1 to `pages` (text, signs, zero, digits past any
    /// integer) is refused with a message naming it.
    static func page(_ text: String?, of pages: Int) throws -> Int {
        guard let text else { return 1 }
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let page = Int(text), page >= 1 else {
            throw HubAPIError.invalidArgument("page", "expected a page number from 1 to \(pages)")
        }
        guard page <= pages else { throw HubAPIError(status: 404, name: "Page.NotFound", detail: "page \(page): there are \(pages)") }
        return page
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
