import BamEngine
import Foundation
import HTTP

/// Temporary credentials as the `credentials/` call returns them.
public struct IssuedCredentials: Equatable, Sendable {
    public let type: String
    public let accessKey: String
    public let secretKey: String
    public let sessionToken: String
    public let expiration: String

    public static let none = IssuedCredentials(type: "none", accessKey: "", secretKey: "", sessionToken: "", expiration: "")
}

/// STS AssumeRole with an inline session policy: the temporary keys can do
/// no more than both the role and the policy allow, and the policy allows
/// only objects under one prefix of one bucket. Signed with SigV4 by the
/// region's own keys, through the engine's signer and libcurl client.
public struct STSClient {
    public let endpoint: String
    public let credentials: S3Credentials
    public let signingRegion: String

    public init(endpoint: String, credentials: S3Credentials, signingRegion: String = "us-east-1") {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.credentials = credentials
        self.signingRegion = signingRegion
    }

    /// AWS's global STS endpoint for AWS S3 regions; any other S3-compatible
    /// endpoint (MinIO, moto) serves STS on the same URL.
    public static func endpoint(forS3Endpoint s3: String) -> String {
        s3.contains("amazonaws.com") ? "https://sts.amazonaws.com" : s3
    }

    /// The session policy for `bucket/prefix/*`.
    public static func policy(bucket: String, prefix: String) -> String {
        let objects = "arn:aws:s3:::\(bucket)/\(prefix)/*"
        return """
            {"Version":"2012-10-17","Statement":[\
            {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":"\(objects)"},\
            {"Effect":"Allow","Action":["s3:ListBucket","s3:ListBucketMultipartUploads"],"Resource":"arn:aws:s3:::\(bucket)","Condition":{"StringLike":{"s3:prefix":["\(prefix)/*"]}}}]}
            """
    }

    public func assumeRole(roleArn: String, sessionName: String, policy: String, durationSeconds: Int = 3600) throws -> IssuedCredentials {
        let form: [(String, String)] = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName), ("Policy", policy), ("DurationSeconds", String(durationSeconds)),
        ]
        let body = Array(SigV4Signer.canonicalQuery(form).utf8)
        guard let host = endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first else {
            throw HubStoreError.invalid("bad STS endpoint \(endpoint)")
        }
        let headers: [(String, String)] = [("host", String(host)), ("content-type", "application/x-www-form-urlencoded")]
        let signer = SigV4Signer(credentials: credentials, region: signingRegion, service: "sts")
        let signed = signer.sign(
            method: "POST", canonicalURI: "/", query: [], headers: headers,
            payloadHash: SigV4Signer.sha256Hex(body), date: Date())
        let request = HTTPRequest(
            method: "POST", url: endpoint + "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")] + signed,
            body: .bytes(body))
        let response = try HTTPSession().perform(request)
        let text = response.bodyText
        guard response.isSuccess else {
            throw HubStoreError.invalid("STS AssumeRole at \(endpoint) failed with HTTP \(response.status): \(Self.element("Message", in: text) ?? "")")
        }
        guard let access = Self.element("AccessKeyId", in: text), let secret = Self.element("SecretAccessKey", in: text) else {
            throw HubStoreError.invalid("STS AssumeRole at \(endpoint) returned no credentials")
        }
        return IssuedCredentials(
            type: "iamrole", accessKey: access, secretKey: secret,
            sessionToken: Self.element("SessionToken", in: text) ?? "",
            expiration: Self.element("Expiration", in: text) ?? "")
    }

    /// The text of the first `<name>...</name>` (STS answers are flat and
    /// carry no markup inside these elements).
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[start.upperBound..<end.lowerBound])
    }
}
