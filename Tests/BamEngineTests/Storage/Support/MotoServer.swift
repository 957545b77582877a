import BamTestSupport
import Foundation
import HTTP
import XML
@testable import BamEngine

/// A moto S3 server on 127.0.0.1 with signature checking on, shared by the
/// tests of one run (started on first use, stopped when the run ends).
///
/// moto checks no signatures for its first `INITIAL_NO_AUTH_ACTION_COUNT`
/// calls: those create an IAM user, its access key and a policy allowing
/// everything. Every later call must be signed with that key.
///
/// It is started through `MotoLaunch.rawURIPatch` so that moto checks
/// signatures against the request URI as sent, as AWS does.
final class MotoServer: S3TestServer, @unchecked Sendable {
    let kind = S3ServerKind.moto
    let port: Int
    let credentials: S3Credentials
    let counter = S3TestServerCounter()
    private let server: TestServerProcess

    static let freeCalls = 3
    private static let shared = Result<MotoServer, Error> { try MotoServer() }

    /// The shared server; fails (never skips) when moto cannot be started.
    static func get() throws -> MotoServer { try shared.get() }

    private init() throws {
        port = try TestServerProcess.freePort()
        let log = NSTemporaryDirectory() + "bam-moto-\(getpid())-\(port).log"
        do {
            guard TestServerProcess.which("moto_server") != nil else {
                throw TestServerError(description: "moto_server is not installed or not in PATH: the moto S3 server is needed by these tests")
            }
            server = try TestServerProcess(
                name: "moto S3 server",
                argv: ["python3", "-c", MotoLaunch.rawURIPatch, "-H", "127.0.0.1", "-p", String(port)],
                environment: ["INITIAL_NO_AUTH_ACTION_COUNT": String(Self.freeCalls)],
                logPath: log)
        } catch {
            throw TestServerError(description: "\(error) (install it with: pip install 'moto[server]')")
        }
        try server.waitForPort(port)

        // The free calls: an IAM user, its key, a policy allowing all.
        let bootstrap = S3Credentials(accessKey: "AKIABOOTSTRAPEXAMPLE", secretKey: "bootstrap")
        _ = try Self.iam(port, bootstrap, ["Action": "CreateUser", "UserName": "bam"])
        let created = try Self.iam(port, bootstrap, ["Action": "CreateAccessKey", "UserName": "bam"])
        let root = try XMLDocument.parse(created.body)
        guard let key = root.child("CreateAccessKeyResult")?.child("AccessKey"),
            let id = key.text(of: "AccessKeyId"), let secret = key.text(of: "SecretAccessKey")
        else {
            throw TestServerError(description: "moto CreateAccessKey gave no key: \(created.bodyText)")
        }
        _ = try Self.iam(
            port, bootstrap,
            [
                "Action": "PutUserPolicy", "UserName": "bam", "PolicyName": "all",
                "PolicyDocument": #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            ])
        credentials = S3Credentials(accessKey: id, secretKey: secret)
        // Up and ready: the log is no longer needed (the server keeps its
        // descriptor, so nothing is left in the temporary directory).
        unlink(log)
    }

    private static func iam(_ port: Int, _ credentials: S3Credentials, _ form: [String: String]) throws -> HTTPResponse {
        var params = form
        params["Version"] = "2010-05-08"
        let body = Array(SigV4Signer.canonicalQuery(params.map { ($0.key, $0.value) }).utf8)
        let r = try S3TestServerRequest.signed(
            port, credentials, service: "iam", method: "POST", path: "/", query: [], body: body,
            headers: [("Content-Type", "application/x-www-form-urlencoded")])
        guard r.isSuccess else {
            throw TestServerError(description: "moto IAM \(form["Action"] ?? ""): HTTP \(r.status) \(r.bodyText)")
        }
        return r
    }
}
