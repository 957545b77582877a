/// One entry of passwd, group, shadow or gshadow: the line split at `:`.
/// Fields are kept as bytes, so a GECOS field in Latin-1 or any field the
/// merge does not touch is written back exactly as read.
public struct AccountEntry: Equatable, Hashable, Sendable {
    public var fields: [[UInt8]]

    public init(fields: [[UInt8]]) {
        self.fields = fields
    }

    /// Splits `line` (without newline) at every `:`.
    public init(line: [UInt8]) {
        fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// Convenience for tests and callers holding text.
    public init(_ line: String) {
        self.init(line: Array(line.utf8))
    }

    public var nameBytes: [UInt8] {
        get { fields[0] }
        set { fields[0] = newValue }
    }

    public var name: String {
        get { String(decoding: fields[0], as: UTF8.self) }
        set { fields[0] = Array(newValue.utf8) }
    }

    /// The decimal number in field `index`; nil when it is not one.
    public func number(at index: Int) -> UInt32? {
        guard index < fields.count, !fields[index].isEmpty, fields[index].count <= 10 else { return nil }
        var value: UInt64 = 0
        for byte in fields[index] {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }

    public mutating func setNumber(_ value: UInt32, at index: Int) {
        fields[index] = Array(String(value).utf8)
    }

    /// The line, fields joined by `:`, without newline.
    public var line: [UInt8] { Array(fields.joined(separator: [UInt8(ascii: ":")])) }

    public var text: String { String(decoding: line, as: UTF8.self) }
}
