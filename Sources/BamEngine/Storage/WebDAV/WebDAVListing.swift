import Foundation
import XML

/// The objects a `PROPFIND` (`Depth: 1`) reply lists in a collection: its
/// direct members that are not collections, with their sizes. The reply
/// comes from the server and is hostile input: an entry outside the
/// collection is ignored, a member without a size or with an undecodable
/// name is an error, never a trap.
public enum WebDAVListing {
    /// The request body: only the two properties the listing needs.
    public static let requestBody = Array(
        """
        <?xml version="1.0" encoding="utf-8"?>
        <D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/></D:prop></D:propfind>
        """.utf8)

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    /// `collection`: the listed collection's path segments, decoded.
    /// Names starting with a dot (uploads under way, probes) are left out.
    public static func parse(_ body: [UInt8], collection: [String], hidden: Bool = false) throws -> [StoredObject] {
        let root: XMLElement
        do { root = try XMLDocument.parse(body) } catch { throw ParseError(message: "the PROPFIND reply is not XML: \(error)") }
        guard root.name == "multistatus" else { throw ParseError(message: "the PROPFIND reply is a <\(root.name)>, not a <multistatus>") }
        var objects: [StoredObject] = []
        var seen = Set<String>()
        for response in root.children("response") {
            guard let href = response.text(of: "href") else { throw ParseError(message: "a PROPFIND response without an href") }
            guard let segments = pathSegments(ofHref: href) else { throw ParseError(message: "undecodable href in the PROPFIND reply: \(excerpt(href))") }
            guard segments.count == collection.count + 1, Array(segments.dropLast()) == collection, let name = segments.last else { continue }
            if name.hasPrefix(".") && !hidden { continue }
            let found = response.children("propstat").filter { ($0.text(of: "status") ?? "").split(separator: " ").dropFirst().first == "200" }
                .compactMap { $0.child("prop") }
            let isCollection = href.hasSuffix("/") || found.contains { $0.child("resourcetype")?.child("collection") != nil }
            if isCollection { continue }
            guard let text = found.lazy.compactMap({ $0.text(of: "getcontentlength") }).first else {
                throw ParseError(message: "the PROPFIND reply gives no size for \(name)")
            }
            let digits = text.trimmingCharacters(in: .whitespaces)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let size = Int64(digits) else {
                throw ParseError(message: "the PROPFIND reply gives an invalid size for \(name): \(excerpt(text))")
            }
            if seen.insert(name).inserted { objects.append(StoredObject(name: name, size: size)) }
        }
        return objects
    }

    /// The decoded path segments of an href, which servers send as a path
    /// (`/dav/dir/x`) or a whole URL (`https://host/dav/dir/x`).
    static func pathSegments(ofHref href: String) -> [String]? {
        var text = Substring(href.trimmingCharacters(in: .whitespacesAndNewlines))
        if let scheme = text.range(of: "://") {
            text = text[scheme.upperBound...]
            guard let slash = text.firstIndex(of: "/") else { return [] }
            text = text[slash...]
        }
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<query] }
        var segments: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = ServerPathAddress.percentDecoded(raw), !segment.contains("/"), !segment.contains("\0") else { return nil }
            if segment == "." { continue }
            segments.append(segment)
        }
        return segments
    }

    static func excerpt(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(80)) + "..." : text
    }
}
