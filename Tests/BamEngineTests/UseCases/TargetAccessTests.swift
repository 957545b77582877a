import Foundation
import Testing
@testable import BamEngine

/// How a use case reaches its target comes from its request, never from
/// process-wide state: one process (a Webmin job, a test run) may run
/// operations for several registries, each with its own credentials.
@Suite("target access")
struct TargetAccessTests {
    @Test("parallel transfers: the request's, else conf's, else 4; the program names the writer")
    func openOptionsPrecedence() {
        #expect(TargetAccess().openOptions(registryPath: "/r").parallelTransfers == 4)
        #expect(TargetAccess().openOptions(registryPath: "/r", confParallelTransfers: 2).parallelTransfers == 2)
        #expect(TargetAccess(parallelTransfers: 7).openOptions(registryPath: "/r", confParallelTransfers: 2).parallelTransfers == 7)
        let options = TargetAccess(s3Region: "eu-west-1", program: "bam-webmin").openOptions(registryPath: "/r")
        #expect(options.registryPath == "/r" && options.region == "eu-west-1" && options.program == "bam-webmin")
    }

    @Test(
        "values no transfer can use are refused",
        arguments: [TargetAccess(parallelTransfers: 0), TargetAccess(parallelTransfers: 65), TargetAccess(s3Region: ""), TargetAccess(s3Region: "eu west")])
    func invalid(_ access: TargetAccess) {
        #expect(throws: BamError.self) { try access.validate() }
    }

    @Test("a request travels with its access through a job's JSON")
    func roundTrip() throws {
        var request = RestoreRequest(registry: "/var/lib/bam")
        request.access = TargetAccess(s3Region: "eu-west-1", parallelTransfers: 3, program: "bam-webmin")
        #expect(try jsonRoundTrip(request) == request)
    }

    /// Without a process-wide default, each operation opens its target
    /// with its own registry's `credentials` file: a restore in the same
    /// process as another registry's listing gets the right keys, and the
    /// listing with wrong keys is refused.
    @Test("two registries in one process each use their own S3 credentials", .needs(.s3))
    func credentialsPerRegistry() throws {
        let server = try MotoServer.get()
        let bucket = try server.makeBucket("access")
        let address = "s3+http://\(server.hostPort)/\(bucket)/raw"
        let tree = try TestTree("target-access")
        let good = Registry(path: tree.area("good"))
        _ = try good.initialise(force: false)
        try tree.file(
            "good/credentials", "accesskey=\(server.credentials.accessKey)\nsecretkey=\(server.credentials.secretKey)\n")
        let wrong = Registry(path: tree.area("wrong"))
        _ = try wrong.initialise(force: false)
        try tree.file("wrong/credentials", "accesskey=AKIAWRONGWRONGWRONG00\nsecretkey=wrong\n")
        try tree.file("src/a.txt", "alpha\n")

        var backup = BackupRequest(registry: good.path)
        backup.rawSource = tree.area("src")
        backup.address = address
        backup.cacheRoot = tree.area("cache")
        _ = try BackupUseCase(backup).run()

        #expect(throws: (any Error).self) {
            _ = try SessionListUseCase(SessionListRequest(registry: wrong.path, address: address)).run()
        }
        var restore = RestoreRequest(registry: good.path)
        restore.address = address
        restore.rawDestination = tree.area("out")
        restore.cacheRoot = tree.area("cache")
        _ = try RestoreUseCase(restore, key: .passphrase("")).run()
        #expect(try String(contentsOfFile: tree.area("out") + "/a.txt", encoding: .utf8) == "alpha\n")
        #expect(try SessionListUseCase(SessionListRequest(registry: good.path, address: address)).run().sessions.count == 1)
    }
}
