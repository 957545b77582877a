import Testing
@testable import BamEngine

@Suite struct S3AddressTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let address: String
        var region: String? = nil
        let endpoint: String
        let bucket: String
        let prefix: String
        let expectedRegion: String
        var testDescription: String { address }
    }

    static let valid: [Case] = [
        Case(address: "s3://s3.amazonaws.com/bucket", endpoint: "https://s3.amazonaws.com", bucket: "bucket", prefix: "", expectedRegion: "us-east-1"),
        Case(
            address: "s3://s3.eu-west-1.amazonaws.com/my.bucket/backups/host1", endpoint: "https://s3.eu-west-1.amazonaws.com",
            bucket: "my.bucket", prefix: "backups/host1/", expectedRegion: "eu-west-1"),
        Case(
            address: "s3://s3-eu-west-1.amazonaws.com/bucket/p/", endpoint: "https://s3-eu-west-1.amazonaws.com",
            bucket: "bucket", prefix: "p/", expectedRegion: "eu-west-1"),
        Case(
            address: "s3://s3.dualstack.ap-south-1.amazonaws.com/bucket", endpoint: "https://s3.dualstack.ap-south-1.amazonaws.com",
            bucket: "bucket", prefix: "", expectedRegion: "ap-south-1"),
        Case(
            address: "s3://s3-external-1.amazonaws.com/bucket", endpoint: "https://s3-external-1.amazonaws.com",
            bucket: "bucket", prefix: "", expectedRegion: "us-east-1"),
        Case(
            address: "s3://s3.eu-west-1.amazonaws.com/bucket", region: "eu-central-1", endpoint: "https://s3.eu-west-1.amazonaws.com",
            bucket: "bucket", prefix: "", expectedRegion: "eu-central-1"),
        Case(
            address: "s3://minio.example.com:9000/bucket//a//b//", endpoint: "https://minio.example.com:9000",
            bucket: "bucket", prefix: "a/b/", expectedRegion: "us-east-1"),
        Case(
            address: "s3://Storage.Example.COM:443/bucket", region: "fr-par", endpoint: "https://storage.example.com",
            bucket: "bucket", prefix: "", expectedRegion: "fr-par"),
        Case(
            address: "s3+http://127.0.0.1:9000/bam-test/my%20backups/x", endpoint: "http://127.0.0.1:9000",
            bucket: "bam-test", prefix: "my backups/x/", expectedRegion: "us-east-1"),
        Case(address: "s3+http://localhost/bucket", endpoint: "http://localhost", bucket: "bucket", prefix: "", expectedRegion: "us-east-1"),
        Case(address: "s3+http://[::1]:9000/bucket/p", endpoint: "http://[::1]:9000", bucket: "bucket", prefix: "p/", expectedRegion: "us-east-1"),
    ]

    @Test(arguments: valid)
    func parses(_ c: Case) throws {
        let a = try S3Address(parsing: c.address, region: c.region)
        #expect(a.endpoint == c.endpoint)
        #expect(a.bucket == c.bucket)
        #expect(a.prefix == c.prefix)
        #expect(a.region == c.expectedRegion)
    }

    @Test(arguments: [
        "file:///tmp/x",
        "s3://",
        "s3://host",
        "s3://host/",
        "s3://host:0/bucket",
        "s3://host:99999/bucket",
        "s3://host:port/bucket",
        "s3://host/Bucket_With_Caps",
        "s3://host/ab",
        "s3://host/bucket/../x",
        "s3://host/bucket?region=x",
        "s3+http://[::1/bucket",
    ])
    func rejects(_ address: String) {
        #expect(throws: StorageError.self) { try S3Address(parsing: address) }
    }

    @Test func credentialsInTheAddressAreRejectedWithoutEchoingThem() {
        do {
            _ = try S3Address(parsing: "s3://AKIDEXAMPLE:supersecret@s3.amazonaws.com/bucket")
            Issue.record("accepted an address with credentials")
        } catch {
            #expect(!"\(error)".contains("supersecret"))
        }
    }

    @Test(arguments: [
        ("s3.amazonaws.com", "us-east-1"),
        ("s3.us-west-2.amazonaws.com", "us-west-2"),
        ("s3-us-west-2.amazonaws.com", "us-west-2"),
        ("bucket.s3.eu-north-1.amazonaws.com", "eu-north-1"),
        ("s3.cn-north-1.amazonaws.com.cn", "cn-north-1"),
    ])
    func regionFromAWSHost(_ host: String, _ region: String) {
        #expect(S3Address.region(fromHost: host) == region)
    }

    @Test func noRegionFromOtherHosts() {
        #expect(S3Address.region(fromHost: "127.0.0.1") == nil)
        #expect(S3Address.region(fromHost: "s3.example.com") == nil)
    }

    @Test func registryOpensS3Addresses() throws {
        // Credentials come from the environment or the registry; without
        // them the error says how to provide them.
        do {
            let backend = try StorageRegistry.open(address: "s3+http://127.0.0.1:9/bucket/p", options: StorageOpenOptions())
            #expect(backend is S3Backend)
        } catch let error as StorageError {
            #expect("\(error)".contains("AWS_ACCESS_KEY_ID"))
        }
    }
}
