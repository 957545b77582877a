import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One CGI request as miniserv hands it over: the environment, the query
/// string, and the POST body read from stdin up to CONTENT_LENGTH.
public struct CGIRequest {
    /// Bodies larger than this are refused unread (escrow keys are a few KiB).
    public static let maxBodyBytes = 256 * 1024
    public static let maxFields = 100

    public let environment: [String: String]
    public let method: String
    /// Fields of the query string: used to choose what a page shows, never
    /// to change anything.
    public let query: FormFields
    /// Fields of a POST body.
    public let form: FormFields
    public let files: [UploadedFile]

    public init(environment: [String: String], body: [UInt8]) throws {
        self.environment = environment
        method = (environment["REQUEST_METHOD"] ?? "GET").uppercased()
        guard method == "GET" || method == "POST" || method == "HEAD" else {
            throw CGIError.badRequest("method \(method) is not allowed")
        }
        let queryString = environment["QUERY_STRING"] ?? ""
        guard queryString.utf8.count <= 8192 else { throw CGIError.tooLarge("the query string is too long") }
        query = try FormFields.parseURLEncoded(queryString)
        guard query.pairs.count <= Self.maxFields else { throw CGIError.tooLarge("too many query fields") }
        if method == "POST" && !body.isEmpty {
            let contentType = environment["CONTENT_TYPE"] ?? ""
            let kind = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if kind == "multipart/form-data" {
                guard let boundary = MultipartParser.boundary(contentType: contentType) else {
                    throw CGIError.badRequest("multipart form without a boundary")
                }
                (form, files) = try MultipartParser.parse(body, boundary: boundary, maxParts: Self.maxFields)
            } else if kind == "application/x-www-form-urlencoded" || kind.isEmpty || kind == "text/plain" {
                // text/plain: Authentic's pjax posts jQuery's serialize()
                // string (urlencoded) with the XHR default content type.
                guard let text = String(validating: body, as: UTF8.self) else { throw CGIError.badRequest("the form body is not UTF-8") }
                form = try FormFields.parseURLEncoded(text)
                files = []
            } else {
                throw CGIError.badRequest("unsupported form content type \(kind)")
            }
            guard form.pairs.count <= Self.maxFields else { throw CGIError.tooLarge("too many form fields") }
        } else {
            form = FormFields()
            files = []
        }
    }

    /// Reads the body from stdin (exactly CONTENT_LENGTH bytes) and parses.
    public static func fromProcess(environment: [String: String]) throws -> CGIRequest {
        var body: [UInt8] = []
        if (environment["REQUEST_METHOD"] ?? "").uppercased() == "POST" {
            let lengthText = environment["CONTENT_LENGTH"] ?? "0"
            guard let length = Int(lengthText.isEmpty ? "0" : lengthText), length >= 0 else {
                throw CGIError.badRequest("CONTENT_LENGTH is not a number")
            }
            guard length <= maxBodyBytes else { throw CGIError.tooLarge("the request body is larger than \(maxBodyBytes / 1024) KiB") }
            body = [UInt8](repeating: 0, count: length)
            var got = 0
            while got < length {
                let n = body.withUnsafeMutableBytes { read(0, $0.baseAddress! + got, length - got) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                got += n
            }
            guard got == length else { throw CGIError.badRequest("the request body ended early") }
        }
        return try CGIRequest(environment: environment, body: body)
    }

    /// A POST that carries fields: the only kind of request that may
    /// change anything. Authentic sends link clicks as POST with an empty
    /// body; those are views, like GET.
    public var isSubmission: Bool { method == "POST" && (!form.isEmpty || !files.isEmpty) }

    /// Loaded by Authentic's shell (jQuery pjax).
    public var isXHR: Bool { environment["HTTP_X_REQUESTED_WITH"]?.lowercased() == "xmlhttprequest" }

    /// The page's file name: `backup.cgi`; a directory URL is `index.cgi`.
    public var scriptName: String {
        let path = environment["SCRIPT_NAME"] ?? ""
        let last = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        return last.isEmpty ? "index.cgi" : last
    }

    /// The Webmin user: BASE_REMOTE_USER (the real login when acting as
    /// another user), else REMOTE_USER.
    public var user: String? {
        for key in ["BASE_REMOTE_USER", "REMOTE_USER"] {
            if let v = environment[key], !v.isEmpty { return v }
        }
        return nil
    }

    public var sessionID: String? { environment["SESSION_ID"].flatMap { $0.isEmpty ? nil : $0 } }

    public func file(_ name: String) -> UploadedFile? { files.first { $0.fieldName == name } }
}
