import Testing
import XML
@testable import BamEngine

@Suite struct S3XMLTests {
    @Test func listingWithANamespaceAndContinuation() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
              <IsTruncated>true</IsTruncated>
              <Contents><Key>p/a b &amp; ü</Key><Size>12</Size><ETag>"x"</ETag></Contents>
              <Contents><Key>p/c</Key><Size>0</Size></Contents>
              <NextContinuationToken>tok/en+=</NextContinuationToken>
            </ListBucketResult>
            """
        let page = try S3ListPage.parse(Array(xml.utf8))
        #expect(page.objects.map(\.key) == ["p/a b & ü", "p/c"])
        #expect(page.objects.map(\.size) == [12, 0])
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "tok/en+=")
    }

    @Test func listingWithoutNamespaceOrPrefixedNamespace() throws {
        let plain = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>3</Size></Contents></ListBucketResult>"
        #expect(try S3ListPage.parse(Array(plain.utf8)).objects.map(\.key) == ["k"])
        let prefixed = "<s3:ListBucketResult xmlns:s3=\"urn:x\"><s3:Contents><s3:Key>k2</s3:Key><s3:Size>4</s3:Size></s3:Contents></s3:ListBucketResult>"
        let page = try S3ListPage.parse(Array(prefixed.utf8))
        #expect(page.objects.map(\.key) == ["k2"])
        #expect(!page.isTruncated)
    }

    @Test func errorsInitiateAndUploads() throws {
        let error =
            "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><StringToSign>x</StringToSign></Error>"
        #expect(
            S3ErrorDocument.parse(Array(error.utf8))
                == S3ErrorDocument(code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match"))
        #expect(S3ErrorDocument.parse(Array("<html>bad gateway</html>".utf8)) == nil)
        #expect(S3ErrorDocument.parse([]) == nil)

        let initiate =
            "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>abc-123</UploadId></InitiateMultipartUploadResult>"
        #expect(try S3InitiateResult.uploadID(Array(initiate.utf8)) == "abc-123")

        let uploads = """
            <ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <IsTruncated>true</IsTruncated><NextKeyMarker>p/b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
              <Upload><Key>p/a</Key><UploadId>u1</UploadId><Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload>
              <Upload><Key>p/b</Key><UploadId>u2</UploadId></Upload>
            </ListMultipartUploadsResult>
            """
        let page = try S3UploadsPage.parse(Array(uploads.utf8))
        #expect(page.uploads.map(\.uploadID) == ["u1", "u2"])
        #expect(page.isTruncated && page.nextKeyMarker == "p/b" && page.nextUploadIDMarker == "u2")

        let inside200 = "<Error><Code>InternalError</Code><Message>try again</Message></Error>"
        #expect(try S3CompleteResult.parse(Array(inside200.utf8)) == .failure(S3ErrorDocument(code: "InternalError", message: "try again")))
    }

    @Test func malformedDocumentsAreErrors() {
        #expect(throws: XMLParseError.self) { try XMLDocument.parse(Array("<a><b></a>".utf8)) }
        #expect(throws: XMLParseError.self) { try XMLDocument.parse([]) }
        // No external entities are fetched or expanded.
        let xxe = "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>"
        if let root = try? XMLDocument.parse(Array(xxe.utf8)) { #expect(!root.text.contains("root:")) }
    }

    @Test func completeBodyEscapesETags() {
        let body = String(decoding: S3CompleteResult.body(etags: ["\"a\"", "\"b\""]), as: UTF8.self)
        #expect(body.contains("<Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>"))
        #expect(body.contains("<PartNumber>2</PartNumber>"))
    }

    @Test("rclone's InitiateMultipartUpload root gives its upload id like AWS's InitiateMultipartUploadResult")
    func initiateResultUnderEitherRootName() throws {
        let rclone = "<?xml version=\"1.0\"?><InitiateMultipartUpload><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUpload>"
        #expect(try S3InitiateResult.uploadID(Array(rclone.utf8)) == "u-1")
        let aws = "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><UploadId>u-2</UploadId></InitiateMultipartUploadResult>"
        #expect(try S3InitiateResult.uploadID(Array(aws.utf8)) == "u-2")
        #expect(throws: XMLParseError.self) { try S3InitiateResult.uploadID(Array("<Other><UploadId>u</UploadId></Other>".utf8)) }
    }

    @Test("a Content-Range gives where the body starts; anything else is no range")
    func contentRangeStart() {
        #expect(S3ContentRange.start("bytes 2-4/10") == 2)
        #expect(S3ContentRange.start("bytes 0-9/*") == 0)
        for bad in [nil, "", "bytes */10", "bytes 5-2/10", "bytes -1-3/10", "items 1-2/3", "bytes 99999999999999999999-1/2"] {
            #expect(S3ContentRange.start(bad) == nil, "\(bad ?? "nil")")
        }
    }
}
