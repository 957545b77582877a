import Foundation

/// Record fields as the original Hub's API named them.
extension BackupRecord {
    /// The original client reads these nine (hub.py `BackupRecord`); bam
    /// also gets `inprogress` and `skpp`, and plain-HTTP addresses in its
    /// own `s3+http://` form.
    public func apiFields(for kind: HubClientKind) -> [String: Any] {
        var fields: [String: Any] = [
            "backup_id": String(id), "address": address, "key": key, "server_id": serverId,
            "turnkey_version": turnkeyVersion, "date_created": HubDate.format(created),
            "date_updated": HubDate.format(updated), "size": size, "description": description,
        ]
        switch kind {
        case .bam:
            fields["inprogress"] = inProgress
            fields["skpp"] = skpp
        case .original:
            fields["address"] = OriginalClientAddress.form(of: address)
        }
        return fields
    }
}

extension IssuedCredentials {
    /// The `credentials/` answer. For the original client exactly the
    /// arguments of its credential class (hub.py `Credentials`): `iamrole`
    /// takes accesskey, secretkey, sessiontoken, expiration; `iamuser`
    /// takes accesskey, secretkey, sessiontoken (a string, empty for plain
    /// keys: the client puts it in the environment). bam reads all five.
    public func apiFields(for kind: HubClientKind) -> [String: Any] {
        var fields: [String: Any] = [
            "type": type, "accesskey": accessKey, "secretkey": secretKey, "sessiontoken": sessionToken,
        ]
        if kind == .bam || type == "iamrole" { fields["expiration"] = expiration }
        return fields
    }
}

enum JSONText {
    static func encode(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `application/x-www-form-urlencoded` bodies and query strings.
public enum FormDecoding {
    public static func decode(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(String(parts[0]))
            out[key] = parts.count > 1 ? unescape(String(parts[1])) : ""
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
