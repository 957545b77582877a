import BamEngine
import Foundation
import HTTP

/// IAM users for regions with `--iam-users`: each record gets a user whose
/// only policy allows its own prefix, and each account one for its whole
/// prefix (for callers that name no record, as the original client);
/// their keys are what `credentials/` hands out (type `iamuser`). IAM's query API, signed
/// with SigV4 by the region's keys.
public struct IAMClient {
    public let endpoint: String
    public let credentials: S3Credentials

    public init(endpoint: String, credentials: S3Credentials) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.credentials = credentials
    }

    /// AWS's global IAM endpoint for AWS S3 regions; S3-compatible servers
    /// that implement IAM (moto) serve it on the S3 URL.
    public static func endpoint(forS3Endpoint s3: String) -> String {
        s3.contains("amazonaws.com") ? "https://iam.amazonaws.com" : s3
    }

    /// Creates `userName` with the prefix policy and returns its new key.
    public func createScopedUser(userName: String, bucket: String, prefix: String) throws -> S3Credentials {
        _ = try call(["Action": "CreateUser", "UserName": userName])
        _ = try call([
            "Action": "PutUserPolicy", "UserName": userName, "PolicyName": "bam-record",
            "PolicyDocument": STSClient.policy(bucket: bucket, prefix: prefix),
        ])
        let answer = try call(["Action": "CreateAccessKey", "UserName": userName])
        guard let access = STSClient.element("AccessKeyId", in: answer), let secret = STSClient.element("SecretAccessKey", in: answer) else {
            throw HubStoreError.invalid("IAM CreateAccessKey at \(endpoint) returned no key")
        }
        return S3Credentials(accessKey: access, secretKey: secret)
    }

    /// Removes the user, its key and its policy (a backup was deleted).
    public func deleteUser(userName: String, accessKey: String) throws {
        _ = try? call(["Action": "DeleteAccessKey", "UserName": userName, "AccessKeyId": accessKey])
        _ = try? call(["Action": "DeleteUserPolicy", "UserName": userName, "PolicyName": "bam-record"])
        _ = try call(["Action": "DeleteUser", "UserName": userName])
    }

    private func call(_ form: [String: String]) throws -> String {
        var params = form
        params["Version"] = "2010-05-08"
        let body = Array(SigV4Signer.canonicalQuery(params.map { ($0.key, $0.value) }).utf8)
        guard let host = endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first else {
            throw HubStoreError.invalid("bad IAM endpoint \(endpoint)")
        }
        let headers: [(String, String)] = [("host", String(host)), ("content-type", "application/x-www-form-urlencoded")]
        let signed = SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam")
            .sign(method: "POST", canonicalURI: "/", query: [], headers: headers, payloadHash: SigV4Signer.sha256Hex(body), date: Date())
        let response = try HTTPSession().perform(
            HTTPRequest(
                method: "POST", url: endpoint + "/", headers: [("Content-Type", "application/x-www-form-urlencoded")] + signed, body: .bytes(body)))
        guard response.isSuccess else {
            throw HubStoreError.invalid(
                "IAM \(form["Action"] ?? "") at \(endpoint) failed with HTTP \(response.status): \(STSClient.element("Message", in: response.bodyText) ?? "")")
        }
        return response.bodyText
    }
}
