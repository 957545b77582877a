@testable import BamWebmin
import BamHub

/// Form posts: the Webmin CGI's decoders and the Hub's.
enum FormTargets {
    /// The first line is the Content-Type header's value, the rest the body.
    static func multipart(_ input: [UInt8]) {
        let newline = input.firstIndex(of: 0x0a) ?? input.endIndex
        let contentType = text(Array(input[..<newline]))
        let body = newline < input.endIndex ? Array(input[(newline + 1)...]) : []
        let boundary = MultipartParser.boundary(contentType: contentType) ?? "fuzzboundary"
        _ = try? MultipartParser.parse(body, boundary: boundary, maxParts: 64)
    }

    static func cgiForm(_ input: [UInt8]) {
        _ = try? FormFields.parseURLEncoded(text(input))
    }

    static func hubForm(_ input: [UInt8]) {
        _ = FormDecoding.decode(text(input))
    }
}
