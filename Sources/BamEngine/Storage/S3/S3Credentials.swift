import Foundation

/// An S3 access key pair (and session token for temporary credentials).
/// Its descriptions and mirror never show the secret key or the token.
public struct S3Credentials: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKey: String
    public let secretKey: String
    public let sessionToken: String?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String { "S3 access key \(accessKey) (secret hidden)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["accessKey": accessKey], displayStyle: .struct) }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
    /// nil when neither key variable is set.
    public static func fromEnvironment(_ env: [String: String]) throws -> S3Credentials? {
        let access = env["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = env["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (access, secret) {
        case (nil, nil): return nil
        case let (access?, secret?):
            return S3Credentials(accessKey: access, secretKey: secret, sessionToken: env["AWS_SESSION_TOKEN"])
        case (_?, nil): throw BamError.invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        case (nil, _?): throw BamError.invalid("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        }
    }

    /// A `credentials` file of `key=value` lines (`accesskey`, `secretkey`,
    /// optional `sessiontoken`; `#` comments); nil when the file does not exist.
    public static func fromFile(_ path: String) throws -> S3Credentials? {
        try KeyValueLines.read(path).map { try fromFields($0, source: path) }
    }

    static func parse(_ text: String, source: String) throws -> S3Credentials {
        try fromFields(try KeyValueLines.parse(text, file: source), source: source)
    }

    static func fromFields(_ values: [String: String], source: String) throws -> S3Credentials {
        guard let access = values["accesskey"], !access.isEmpty else {
            throw BamError.invalid("\(source) has no accesskey= line")
        }
        guard let secret = values["secretkey"], !secret.isEmpty else {
            throw BamError.invalid("\(source) has no secretkey= line")
        }
        return S3Credentials(accessKey: access, secretKey: secret, sessionToken: values["sessiontoken"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The environment's credentials, else the registry's `credentials` file.
    public static func load(environment env: [String: String], registry: Registry) throws -> S3Credentials {
        if let c = try fromEnvironment(env) { return c }
        let path = registry.path + "/credentials"
        if let c = try fromFile(path) { return c }
        throw BamError.invalid("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write accesskey= and secretkey= lines to \(path)")
    }
}
