import HTTP

/// What went wrong talking to the Hub. The Hub reports errors as a non-2xx
/// status with a body `Name: description` (`HubAccount.InvalidApiKey`,
/// `BackupRecord.NotFound`, ...); those become `.api` with the name kept so
/// callers can tell a missing record from a refused key. `.unreachable`
/// (no complete HTTP response) is what lets commands fall back to the
/// registry's cached credentials, record and profile.
public enum HubError: Error, CustomStringConvertible, Equatable {
    /// No HTTP response: the Hub is down, unresolvable or timed out.
    case unreachable(url: String, reason: String)
    /// The Hub's TLS certificate did not verify (or the CA file is
    /// unusable): never retried, never a reason to use cached answers.
    case untrusted(url: String, reason: String)
    /// The Hub answered with an error status and a `Name: description` body.
    case api(status: Int, name: String, detail: String)
    /// A 2xx answer whose body is not what the call returns.
    case badResponse(call: String, reason: String)

    public static let invalidApiKey = "HubAccount.InvalidApiKey"
    public static let invalidSubKey = "BackupAccount.InvalidSubKey"
    public static let recordNotFound = "BackupRecord.NotFound"
    public static let archiveNotFound = "BackupArchive.NotFound"
    public static let missingArgument = "Request.MissingArgument"
    public static let throttled = "Request.Throttled"

    /// Parses an error response. A body without a `Name:` prefix (a proxy's
    /// HTML page, say) is kept whole as the detail under a name made from
    /// the status, so the user still sees what came back.
    public static func fromResponse(status: Int, body: String) -> HubError {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if let colon = text.firstIndex(of: ":") {
            let name = String(text[..<colon])
            let isName = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }
            if isName {
                let detail = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return .api(status: status, name: name, detail: detail)
            }
        }
        let excerpt = text.count > 200 ? String(text.prefix(200)) + "..." : text
        return .api(status: status, name: "HTTP.\(status)", detail: excerpt.isEmpty ? "no description" : excerpt)
    }

    /// The Hub's error name (`BackupRecord.NotFound`), nil when it did not answer.
    public var name: String? {
        if case let .api(_, name, _) = self { return name }
        return nil
    }

    public var isUnreachable: Bool {
        if case .unreachable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .unreachable(url, reason): return "the Hub at \(url) is unreachable: \(reason)"
        case let .untrusted(url, reason): return "the Hub at \(url) is not trusted: \(reason)"
        case let .api(status, name, detail):
            switch name {
            case Self.invalidApiKey: return "the Hub refused the API key (\(name): \(detail))"
            case Self.invalidSubKey: return "the Hub refused this server's subkey; run 'bam init APIKEY --force' to link it again (\(name): \(detail))"
            default: return "the Hub answered HTTP \(status): \(name): \(detail)"
            }
        case let .badResponse(call, reason): return "the Hub's answer to \(call) is not understood: \(reason)"
        }
    }
}
