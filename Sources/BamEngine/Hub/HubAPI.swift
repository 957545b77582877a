import Foundation

/// The Hub's backup calls, typed (tklbam-design.md's table plus the
/// details agreed in CONTRACTS.md).
extension HubClient {
    /// `GET subkey/`: this server's subkey for an account's API key.
    public func fetchSubkey(apiKey: String) throws -> String {
        let answer = try get("subkey/", [("apikey", apiKey)])
        guard let object = answer as? [String: Any], let subkey = HubJSON.string(object["subkey"]), !subkey.isEmpty else {
            throw HubError.badResponse(call: "GET subkey/", reason: "no subkey in the answer")
        }
        return subkey
    }

    /// `GET credentials/`: keys for one record's storage (`backupID`), or
    /// for all of the account's.
    public func fetchCredentials(backupID: String? = nil) throws -> HubCredentials {
        try HubCredentials(json: try get("credentials/", backupID.map { [("backup_id", $0)] } ?? []), backupID: backupID)
    }

    /// `GET archive/timestamp/`: when the Hub's profile for `profileID` was
    /// made (seconds since the epoch).
    public func profileTimestamp(profileID: String) throws -> Int64 {
        let answer = try get("archive/timestamp/", [("turnkey_version", profileID)])
        guard let object = answer as? [String: Any], let stamp = HubJSON.int(object["archive_timestamp"]) else {
            throw HubError.badResponse(call: "GET archive/timestamp/", reason: "no archive_timestamp in the answer")
        }
        return stamp
    }

    /// `GET archive/`: the profile as tar.gz bytes (sent as URL-safe Base64).
    public func profileArchive(profileID: String) throws -> [UInt8] {
        let answer = try get("archive/", [("turnkey_version", profileID)])
        guard let object = answer as? [String: Any], let text = HubJSON.string(object["archive_content"]) else {
            throw HubError.badResponse(call: "GET archive/", reason: "no archive_content in the answer")
        }
        guard let bytes = Self.decodeBase64(text) else {
            throw HubError.badResponse(call: "GET archive/", reason: "archive_content is not Base64")
        }
        return bytes
    }

    /// `POST record/create/`: a new record; the Hub chooses its address.
    public func createRecord(key: String, profileID: String, serverID: String?, skpp: Bool) throws -> HubRecord {
        var parameters = [("key", key), ("turnkey_version", profileID), ("skpp", skpp ? "true" : "false")]
        if let serverID, !serverID.isEmpty { parameters.append(("server_id", serverID)) }
        return try HubRecord(json: try post("record/create/", parameters), call: "POST record/create/")
    }

    /// `GET record/<id>/`.
    public func record(_ backupID: String) throws -> HubRecord {
        try HubRecord(json: try get("record/\(Self.escape(backupID))/"), call: "GET record/\(backupID)/")
    }

    /// `PUT record/<id>/`: replaces the record's key packet.
    @discardableResult
    public func updateKey(backupID: String, key: String, skpp: Bool) throws -> HubRecord? {
        let answer = try put("record/\(Self.escape(backupID))/", [("key", key), ("skpp", skpp ? "true" : "false")])
        return answer == nil ? nil : try? HubRecord(json: answer, call: "PUT record/\(backupID)/")
    }

    /// `PUT record/<id>/inprogress/`.
    public func setInProgress(backupID: String, _ inProgress: Bool) throws {
        _ = try put("record/\(Self.escape(backupID))/inprogress/", [("bool", inProgress ? "true" : "false")])
    }

    /// `PUT record/update/`: the backup finished at `address`; the Hub
    /// refreshes the record's size and date.
    public func recordBackupDone(backupID: String, address: String, skpp: Bool) throws {
        _ = try put("record/update/", [("backup_id", backupID), ("address", address), ("skpp", skpp ? "true" : "false")])
    }

    /// `GET records/`: the account's records.
    public func records() throws -> [HubRecord] {
        let answer = try get("records/")
        let list: [Any]
        if let array = answer as? [Any] {
            list = array
        } else if let object = answer as? [String: Any], let array = object["records"] as? [Any] {
            list = array
        } else {
            throw HubError.badResponse(call: "GET records/", reason: "expected a list of records")
        }
        return try list.map { try HubRecord(json: $0, call: "GET records/") }
    }

    /// Standard or URL-safe Base64, padding optional.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var s = text.filter { !$0.isWhitespace }.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }
}
