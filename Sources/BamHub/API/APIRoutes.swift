import Foundation
import HTTPTypes
import Hummingbird

/// The original Hub's API under `/api/backup/`: GET parameters in the
/// query, POST/PUT bodies form-encoded, JSON answers, `Name: description`
/// errors. Answers take the caller's shape (`HubClientKind`): exactly the
/// original Hub's for the original TKLBAM client, bam's for bam.
public struct APIRoutes: Sendable {
    let service: HubService
    let clients: ClientAddressPolicy

    public init(service: HubService, clients: ClientAddressPolicy) {
        self.service = service
        self.clients = clients
    }

    public func add(to router: Router<HubRequestContext>) {
        let api = router.group("api/backup")
        api.get("subkey") { request, context in
            try await respond(request, context) { _, params, client in
                ["subkey": try service.exchangeSubkey(apiKey: params["apikey"], client: client)]
            }
        }
        api.get("credentials") { request, context in
            let kind = HubClientKind.of(request.headers)
            return try await authed(request, context) { account, params, client in
                try service.credentials(account: account, backupId: params["backup_id"], client: client, kind: kind)
                    .apiFields(for: kind)
            }
        }
        api.get("archive/timestamp") { request, context in
            try await authed(request, context) { _, params, _ in
                ["archive_timestamp": try service.archiveTimestamp(profileId: params["turnkey_version"])]
            }
        }
        api.get("archive") { request, context in
            try await authed(request, context) { _, params, _ in
                ["archive_content": try service.archiveContent(profileId: params["turnkey_version"])]
            }
        }
        api.post("record/create") { request, context in
            let kind = HubClientKind.of(request.headers)
            return try await authed(request, context, status: .ok) { account, params, client in
                try recordFields(
                    service.createRecord(
                        account: account, key: params["key"], turnkeyVersion: params["turnkey_version"],
                        serverId: params["server_id"], skpp: Self.bool(params["skpp"]), client: client, kind: kind),
                    for: kind)
            }
        }
        api.put("record/update") { request, context in
            let kind = HubClientKind.of(request.headers)
            return try await authed(request, context) { account, params, _ in
                try recordFields(
                    service.updateAddress(
                        account: account, backupId: params["backup_id"], address: params["address"],
                        skpp: Self.bool(params["skpp"])),
                    for: kind)
            }
        }
        api.get("record/:id") { request, context in
            let kind = HubClientKind.of(request.headers)
            let id = context.parameters.get("id") ?? ""
            return try await authed(request, context) { account, _, _ in
                try recordFields(service.record(account: account, id: id), for: kind)
            }
        }
        api.put("record/:id") { request, context in
            let kind = HubClientKind.of(request.headers)
            let id = context.parameters.get("id") ?? ""
            return try await authed(request, context) { account, params, _ in
                try service.updateKey(account: account, id: id, key: params["key"], skpp: Self.bool(params["skpp"])).apiFields(for: kind)
            }
        }
        api.put("record/:id/inprogress") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await authed(request, context) { account, params, _ in
                try service.setInProgress(account: account, id: id, value: params["bool"])
                return ["status": "ok"]
            }
        }
        api.get("records") { request, context in
            let kind = HubClientKind.of(request.headers)
            return try await authed(request, context) { account, _, _ in
                try service.records(account: account).map { $0.apiFields(for: kind) }
            }
        }
    }

    static func bool(_ value: String?) -> Bool? {
        switch value?.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: return nil
        }
    }

    func clientAddress(_ request: Request, _ context: HubRequestContext) -> String {
        let headerValue = clients.header.flatMap { HTTPField.Name($0) }.flatMap { request.headers[$0] }
        return clients.client(peer: context.peerAddress, headerValue: headerValue) ?? "unknown"
    }

    /// Query parameters merged with a form body (POST/PUT).
    static func parameters(_ request: inout Request) async throws -> [String: String] {
        var params: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { params[String(key)] = String(value) }
        if request.method == .post || request.method == .put {
            let body = try await request.collectBody(upTo: 1 << 20)
            for (k, v) in FormDecoding.decode(String(buffer: body)) { params[k] = v }
        }
        return params
    }

    private func authed(
        _ request: Request, _ context: HubRequestContext, status: HTTPResponse.Status = .ok,
        _ body: @escaping @Sendable (Account, [String: String], String) throws -> Any
    ) async throws -> Response {
        let subkey = request.headers[HTTPField.Name("subkey")!]
        return try await respond(request, context, status: status) { _, params, client in
            let account = try service.authenticate(subkey: subkey, client: client)
            return try body(account, params, client)
        }
    }

    private func respond(
        _ request: Request, _ context: HubRequestContext, status: HTTPResponse.Status = .ok,
        _ body: @escaping @Sendable (Request, [String: String], String) throws -> Any
    ) async throws -> Response {
        var request = request
        let client = clientAddress(request, context)
        let params: [String: String]
        do { params = try await Self.parameters(&request) } catch {
            return Self.error(HubAPIError(status: 413, name: "Request.TooLarge", detail: "request body over 1 MiB"))
        }
        let frozen = request
        do {
            let text = try await offloaded { JSONText.encode(try body(frozen, params, client)) }
            return Response(
                status: status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        } catch let error as HubAPIError {
            return Self.error(error)
        } catch {
            context.logger.error("API \(request.uri.path) failed: \(error)")
            return Self.error(.internalError("internal error"))
        }
    }

    static func error(_ error: HubAPIError) -> Response {
        Response(
            status: .init(code: error.status), headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: error.description + "\n")))
    }
}
