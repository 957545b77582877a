import Foundation
import Testing
@testable import BamEngine

/// The example requests AWS publishes in "Signature Calculations for the
/// Authorization Header: Transferring Payload in a Single Chunk (AWS
/// Signature Version 4)", with their published signatures.
@Suite struct SigV4SignerTests {
    static let credentials = S3Credentials(
        accessKey: "AKIAIOSFODNN7EXAMPLE",
        secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    static let host = "examplebucket.s3.amazonaws.com"

    struct Vector: CustomTestStringConvertible, Sendable {
        let name: String
        let method: String
        let uri: String
        let query: [String: String]
        let headers: [String: String]
        let payloadHash: String
        let signedHeaders: String
        let signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "GET Object", method: "GET", uri: "/test.txt", query: [:],
            headers: ["Range": "bytes=0-9"], payloadHash: SigV4Signer.emptyPayloadHash,
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        Vector(
            name: "PUT Object", method: "PUT", uri: "/" + SigV4Signer.uriEncode("test$file.text", keepSlash: true), query: [:],
            headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        Vector(
            name: "GET Bucket Lifecycle", method: "GET", uri: "/", query: ["lifecycle": ""],
            headers: [:], payloadHash: SigV4Signer.emptyPayloadHash,
            signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        Vector(
            name: "GET Bucket (List Objects)", method: "GET", uri: "/", query: ["max-keys": "2", "prefix": "J"],
            headers: [:], payloadHash: SigV4Signer.emptyPayloadHash,
            signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test(arguments: vectors)
    func publishedExample(_ v: Vector) {
        let added = Self.signer.sign(
            method: v.method, canonicalURI: v.uri, query: v.query.map { ($0.key, $0.value) },
            headers: [("Host", Self.host)] + v.headers.map { ($0.key, $0.value) },
            payloadHash: v.payloadHash, date: Self.date)
        let auth = added.first { $0.name == "Authorization" }?.value
        #expect(
            auth
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=\(v.signedHeaders),Signature=\(v.signature)"
        )
        #expect(added.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
        #expect(added.first { $0.name == "x-amz-content-sha256" }?.value == v.payloadHash)
    }

    /// The intermediate values AWS publishes for the GET Object example.
    @Test func getObjectIntermediateValues() {
        let (headers, signed) = SigV4Signer.canonicalHeaders([
            ("Host", Self.host), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
        ])
        let canonical = ["GET", "/test.txt", "", headers, "", signed, SigV4Signer.emptyPayloadHash].joined(separator: "\n")
        #expect(
            canonical == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        let toSign = Self.signer.stringToSign(canonicalRequest: canonical, amzDate: "20130524T000000Z")
        #expect(
            toSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)
        #expect(
            Self.signer.signature(canonicalRequest: canonical, amzDate: "20130524T000000Z")
                == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func payloadHashOfPutExample() {
        #expect(
            SigV4Signer.sha256Hex(Array("Welcome to Amazon S3.".utf8))
                == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4Signer.sha256Hex([]) == SigV4Signer.emptyPayloadHash)
    }

    @Test(arguments: [
        ("test.txt", true, "test.txt"),
        ("a b/c", true, "a%20b/c"),
        ("a b/c", false, "a%20b%2Fc"),
        ("test$file.text", true, "test%24file.text"),
        ("~-_.", true, "~-_."),
        ("+=&%", false, "%2B%3D%26%25"),
        ("ü日", true, "%C3%BC%E6%97%A5"),
    ])
    func uriEncoding(_ input: String, _ keepSlash: Bool, _ expected: String) {
        #expect(SigV4Signer.uriEncode(input, keepSlash: keepSlash) == expected)
    }

    @Test func canonicalQuerySortsEncodesAndKeepsEmptyValues() {
        #expect(SigV4Signer.canonicalQuery([("uploads", "")]) == "uploads=")
        #expect(
            SigV4Signer.canonicalQuery([("prefix", "a b/"), ("list-type", "2"), ("continuation-token", "x+y=")])
                == "continuation-token=x%2By%3D&list-type=2&prefix=a%20b%2F")
    }

    @Test func sessionTokenIsSentAndSigned() {
        let signer = SigV4Signer(
            credentials: S3Credentials(accessKey: "AK", secretKey: "SK", sessionToken: "TOKEN"),
            region: "eu-west-1")
        let added = signer.sign(
            method: "GET", canonicalURI: "/b", query: [], headers: [("host", "h")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(added.first { $0.name == "x-amz-security-token" }?.value == "TOKEN")
        let auth = added.first { $0.name == "Authorization" }?.value ?? ""
        #expect(auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(auth.contains("/20130524/eu-west-1/s3/aws4_request"))
        #expect(!auth.contains("SK"))
    }
}
