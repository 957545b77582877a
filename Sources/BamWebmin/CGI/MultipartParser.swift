import Foundation
/// `multipart/form-data` bodies (RFC 7578), enough for a browser's form
/// post: text fields and file fields, each part with a Content-Disposition.
enum MultipartParser {
    static func boundary(contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String, maxParts: Int) throws -> (FormFields, [UploadedFile]) {
        let delimiter = Array(("--" + boundary).utf8)
        var fields = FormFields()
        var files: [UploadedFile] = []
        guard var position = find(delimiter, in: body, from: 0) else {
            throw CGIError.badRequest("the multipart body has no boundary line")
        }
        var parts = 0
        while true {
            position += delimiter.count
            // "--" after a delimiter ends the body.
            if position + 1 < body.count && body[position] == 45 && body[position + 1] == 45 { break }
            guard position + 1 < body.count, body[position] == 13, body[position + 1] == 10 else {
                throw CGIError.badRequest("the multipart body is malformed after a boundary")
            }
            position += 2
            guard let next = find([13, 10] + delimiter, in: body, from: position) else {
                throw CGIError.badRequest("the multipart body ends inside a part")
            }
            parts += 1
            if parts > maxParts { throw CGIError.tooLarge("the form has too many parts") }
            try parsePart(Array(body[position..<next]), into: &fields, files: &files)
            position = next + 2
        }
        return (fields, files)
    }

    private static func parsePart(_ part: [UInt8], into fields: inout FormFields, files: inout [UploadedFile]) throws {
        guard let headerEnd = find([13, 10, 13, 10], in: part, from: 0) else {
            throw CGIError.badRequest("a multipart part has no header end")
        }
        guard let headers = String(validating: part[0..<headerEnd], as: UTF8.self) else {
            throw CGIError.badRequest("a multipart part header is not UTF-8")
        }
        let content = Array(part[(headerEnd + 4)...])
        var name: String?
        var fileName: String?
        for line in headers.split(separator: "\r\n") {
            guard line.lowercased().hasPrefix("content-disposition:") else { continue }
            for parameter in line.split(separator: ";").dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let key = kv[0].trimmingCharacters(in: .whitespaces).lowercased()
                var value = kv[1].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                if key == "name" { name = value } else if key == "filename" { fileName = value }
            }
        }
        guard let name else { throw CGIError.badRequest("a multipart part has no field name") }
        if let fileName {
            if !fileName.isEmpty || !content.isEmpty { files.append(UploadedFile(fieldName: name, fileName: fileName, bytes: content)) }
        } else {
            guard let value = String(validating: content, as: UTF8.self) else {
                throw CGIError.badRequest("form field \(name) is not UTF-8 text")
            }
            fields.append(name, value)
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        let first = needle[0]
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
