import XML

/// An upload started and neither completed nor aborted, as listed by
/// `GET ?uploads`: resume cleanup aborts these.
public struct S3MultipartUpload: Equatable, Sendable {
    /// The full key, prefix included.
    public let key: String
    public let uploadID: String
    public let initiated: String

    public init(key: String, uploadID: String, initiated: String) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// The `Code` and `Message` of an S3 `<Error>` document.
struct S3ErrorDocument: Equatable {
    let code: String
    let message: String

    /// Nil when the body is not an `<Error>` document (HEAD has no body,
    /// proxies answer HTML).
    static func parse(_ body: [UInt8]) -> S3ErrorDocument? {
        guard let root = try? XMLDocument.parse(body), root.name == "Error" else { return nil }
        return S3ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? "")
    }
}

/// One page of ListObjectsV2.
struct S3ListPage {
    var objects: [(key: String, size: Int64)] = []
    var isTruncated = false
    var nextContinuationToken: String?

    static func parse(_ body: [UInt8]) throws -> S3ListPage {
        let root = try XMLDocument.parse(body)
        guard root.name == "ListBucketResult" else { throw XMLParseError(message: "expected ListBucketResult, got \(root.name)") }
        var page = S3ListPage()
        for item in root.children("Contents") {
            guard let key = item.text(of: "Key") else { continue }
            page.objects.append((key, Int64(item.text(of: "Size") ?? "") ?? 0))
        }
        page.isTruncated = root.text(of: "IsTruncated") == "true"
        page.nextContinuationToken = root.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        return page
    }
}

/// One page of ListMultipartUploads.
struct S3UploadsPage {
    var uploads: [S3MultipartUpload] = []
    var isTruncated = false
    var nextKeyMarker: String?
    var nextUploadIDMarker: String?

    static func parse(_ body: [UInt8]) throws -> S3UploadsPage {
        let root = try XMLDocument.parse(body)
        guard root.name == "ListMultipartUploadsResult" else {
            throw XMLParseError(message: "expected ListMultipartUploadsResult, got \(root.name)")
        }
        var page = S3UploadsPage()
        for item in root.children("Upload") {
            guard let key = item.text(of: "Key"), let id = item.text(of: "UploadId") else { continue }
            page.uploads.append(S3MultipartUpload(key: key, uploadID: id, initiated: item.text(of: "Initiated") ?? ""))
        }
        page.isTruncated = root.text(of: "IsTruncated") == "true"
        page.nextKeyMarker = root.text(of: "NextKeyMarker").flatMap { $0.isEmpty ? nil : $0 }
        page.nextUploadIDMarker = root.text(of: "NextUploadIdMarker").flatMap { $0.isEmpty ? nil : $0 }
        return page
    }
}

enum S3InitiateResult {
    static func uploadID(_ body: [UInt8]) throws -> String {
        let root = try XMLDocument.parse(body)
        // rclone (gofakes3) names the root InitiateMultipartUpload.
        guard root.name == "InitiateMultipartUploadResult" || root.name == "InitiateMultipartUpload", let id = root.text(of: "UploadId"), !id.isEmpty else {
            throw XMLParseError(message: "no UploadId in the InitiateMultipartUpload response")
        }
        return id
    }
}

enum S3CompleteResult {
    /// The final ETag, or the error S3 may send inside a 200 response.
    static func parse(_ body: [UInt8]) throws -> Result<String, S3ErrorDocument> {
        let root = try XMLDocument.parse(body)
        if root.name == "Error" {
            return .failure(S3ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? ""))
        }
        // moto names the root CompleteMultipartUploadResponse.
        guard root.name == "CompleteMultipartUploadResult" || root.name == "CompleteMultipartUploadResponse" else {
            throw XMLParseError(message: "expected CompleteMultipartUploadResult, got \(root.name)")
        }
        return .success(root.text(of: "ETag") ?? "")
    }

    static func body(etags: [String]) -> [UInt8] {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLDocument.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return Array(xml.utf8)
    }
}

extension S3ErrorDocument: Error {}

/// Where the body of a GET starts in the object: its `Content-Range`
/// (`bytes FIRST-LAST/TOTAL`), which rclone sends with a ranged answer
/// whose status is 200 rather than 206. Nil when there is no such header
/// or it is not a byte range; a 200 answer without it is the whole object.
enum S3ContentRange {
    static func start(_ header: String?) -> Int64? {
        guard let header else { return nil }
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.hasPrefix("bytes ") else { return nil }
        let span = value.dropFirst("bytes ".count).split(separator: "/", maxSplits: 1).first ?? ""
        let bounds = span.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first >= 0, last >= first else { return nil }
        return first
    }
}
