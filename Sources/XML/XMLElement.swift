/// An element of a parsed document, named by its local name (namespace
/// prefixes and URIs dropped: S3 servers differ in the namespace they use).
public struct XMLElement: Equatable, Sendable {
    public let name: String
    public let children: [XMLElement]
    /// The element's own text and CDATA, concatenated (not its children's).
    public let text: String

    public init(name: String, children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    /// The first child element named `name`.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child element named `name`, in document order.
    public func children(_ name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child element named `name`.
    public func text(of name: String) -> String? {
        child(name)?.text
    }
}
