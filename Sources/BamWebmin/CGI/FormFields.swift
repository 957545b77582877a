import Foundation
/// Decoded fields of a query string, a form-urlencoded body or a multipart
/// body. A name may repeat; `value` gives the first.
public struct FormFields: Sendable {
    public private(set) var pairs: [(String, String)] = []

    public init(pairs: [(String, String)] = []) { self.pairs = pairs }

    public var isEmpty: Bool { pairs.isEmpty }

    public func value(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    public func values(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// A checkbox: present with a non-empty value other than "0".
    public func flag(_ name: String) -> Bool {
        guard let v = value(name) else { return false }
        return !v.isEmpty && v != "0"
    }

    mutating func append(_ name: String, _ value: String) { pairs.append((name, value)) }

    /// Parses `a=1&b=x+y%20z`. Invalid UTF-8 or a bad escape makes the
    /// whole input invalid: nothing half-decoded reaches a page.
    public static func parseURLEncoded(_ text: String) throws -> FormFields {
        var fields = FormFields()
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(pieces[0])
            let value = pieces.count > 1 ? try decode(pieces[1]) : ""
            fields.append(name, value)
        }
        return fields
    }

    static func decode(_ text: Substring) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let h = iterator.next(), let l = iterator.next(), let hi = hexValue(h), let lo = hexValue(l) else {
                    throw CGIError.badRequest("a form field has a bad %-escape")
                }
                bytes.append(hi << 4 | lo)
            default: bytes.append(byte)
            }
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw CGIError.badRequest("a form field is not UTF-8 text")
        }
        return string
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A file field of a multipart form, kept in memory (the size limit of the
/// request bounds it).
public struct UploadedFile: Sendable {
    public let fieldName: String
    public let fileName: String
    public let bytes: [UInt8]
}

/// Why a request is refused before any page runs.
public enum CGIError: Error, CustomStringConvertible {
    case badRequest(String)
    case tooLarge(String)
    case forbidden(String)

    public var description: String {
        switch self {
        case .badRequest(let m), .tooLarge(let m), .forbidden(let m): return m
        }
    }
}
