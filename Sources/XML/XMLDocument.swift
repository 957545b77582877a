internal import CXML2

public struct XMLParseError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Parses small response documents (S3 listings and errors) into a tree of
/// `XMLElement`s. The network is never used and entities are not expanded.
public enum XMLDocument {
    public static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        _ = xmlLibraryInit
        guard !bytes.isEmpty else { throw XMLParseError(message: "empty XML document") }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                xmlReadMemory($0, Int32(buf.count), nil, nil, options)
            }
        }
        guard let doc else {
            let start = String(decoding: bytes.prefix(120), as: UTF8.self)
            throw XMLParseError(message: "not a well-formed XML document: \(start)")
        }
        defer { xmlFreeDoc(doc) }
        guard let root = xmlDocGetRootElement(doc) else {
            throw XMLParseError(message: "XML document without a root element")
        }
        return element(root)
    }

    /// Escapes text for use in element content or attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    private static func element(_ node: xmlNodePtr) -> XMLElement {
        let name = node.pointee.name.map { String(cString: $0) } ?? ""
        var children: [XMLElement] = []
        var text = ""
        var child = node.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE:
                children.append(element(c))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content { text += String(cString: content) }
            default:
                break
            }
            child = c.pointee.next
        }
        return XMLElement(name: name, children: children, text: text)
    }
}

/// libxml2 must be initialised once before it is used from several threads.
private let xmlLibraryInit: Void = { xmlInitParser() }()
