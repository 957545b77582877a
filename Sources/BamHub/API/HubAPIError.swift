/// An API failure as the original Hub reported it: an HTTP status and a
/// body `Name: description` that clients match on the name.
public struct HubAPIError: Error, CustomStringConvertible, Equatable {
    public let status: Int
    public let name: String
    public let detail: String

    public init(status: Int, name: String, detail: String) {
        self.status = status
        self.name = name
        self.detail = detail
    }

    public var description: String { "\(name): \(detail)" }

    public static func invalidApiKey() -> HubAPIError {
        HubAPIError(status: 401, name: "HubAccount.InvalidApiKey", detail: "invalid API key")
    }
    public static func invalidSubkey() -> HubAPIError {
        HubAPIError(status: 401, name: "BackupAccount.InvalidSubKey", detail: "invalid or missing subkey")
    }
    public static func recordNotFound(_ id: String) -> HubAPIError {
        HubAPIError(status: 404, name: "BackupRecord.NotFound", detail: "no backup record \(id)")
    }
    public static func archiveNotFound(_ id: String) -> HubAPIError {
        HubAPIError(status: 404, name: "BackupArchive.NotFound", detail: "no profile archive for \(id)")
    }
    public static func missingArgument(_ name: String) -> HubAPIError {
        HubAPIError(status: 400, name: "Request.MissingArgument", detail: "missing argument \(name)")
    }
    public static func invalidArgument(_ name: String, _ why: String) -> HubAPIError {
        HubAPIError(status: 400, name: "Request.InvalidArgument", detail: "\(name): \(why)")
    }
    public static func throttled() -> HubAPIError {
        HubAPIError(status: 429, name: "Request.Throttled", detail: "too many failed attempts, try again later")
    }
    public static func noRegion() -> HubAPIError {
        HubAPIError(status: 503, name: "Hub.NoRegion", detail: "the Hub has no storage region configured")
    }
    /// A `file://` region asked for by the original TKLBAM client, which
    /// reaches storage only through duplicity's S3 backend.
    public static func regionUnsupported(_ region: String) -> HubAPIError {
        HubAPIError(
            status: 400, name: "Hub.UnsupportedRegion",
            detail:
                "region \(region) keeps backups in a file:// directory, which the original TKLBAM client cannot reach; "
                + "it is served by S3 regions (plain keys, --sts-role or --iam-users). Use bam on this server, or ask the Hub's operator for an S3 region")
    }
    public static func internalError(_ detail: String) -> HubAPIError {
        HubAPIError(status: 500, name: "Hub.InternalError", detail: detail)
    }
}
