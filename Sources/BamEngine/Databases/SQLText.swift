#if canImport(Glibc)
import Glibc
#endif

/// Byte-level helpers for the SQL text the dump tools write: names are
/// taken from the text as bytes, never through a lossy String round trip.
enum SQLText {
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return memcmp(bytes.baseAddress!, prefix.utf8Start, count) == 0
    }

    static func hasPrefix(_ bytes: [UInt8], _ prefix: StaticString) -> Bool {
        bytes.withUnsafeBytes { hasPrefix($0, prefix) }
    }

    static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        find(Array(needle.utf8), in: bytes) != nil
    }

    /// The index of the first occurrence of `needle` in `bytes`.
    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = 0
        let last = bytes.count - needle.count
        while i <= last {
            if bytes[i] == first && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = bytes.startIndex, e = bytes.endIndex
        while s < e && isSpace(bytes[s]) { s += 1 }
        while e > s && isSpace(bytes[e - 1]) { e -= 1 }
        return bytes[s..<e]
    }

    /// The first backquoted MySQL name after `offset` (`` ` `` doubled
    /// inside), unquoted; nil when there is none.
    static func firstQuotedName(_ bytes: [UInt8], after offset: Int = 0) -> [UInt8]? {
        guard let open = bytes[offset...].firstIndex(of: 0x60) else { return nil }
        var name: [UInt8] = []
        var i = open + 1
        while i < bytes.count {
            if bytes[i] == 0x60 {
                if i + 1 < bytes.count && bytes[i + 1] == 0x60 { name.append(0x60); i += 2; continue }
                return name
            }
            name.append(bytes[i])
            i += 1
        }
        return nil
    }

    /// The first backquoted name after `keyword` (e.g. "VIEW ").
    static func quotedName(_ bytes: [UInt8], afterKeyword keyword: String) -> [UInt8]? {
        let k = Array(keyword.utf8)
        guard let found = find(k, in: bytes) else { return nil }
        return firstQuotedName(bytes, after: found + k.count)
    }

    /// `name` quoted for MySQL: `` `a``b` ``.
    static func mysqlQuoted(_ name: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x60]
        for b in name {
            out.append(b)
            if b == 0x60 { out.append(0x60) }
        }
        out.append(0x60)
        return out
    }

    /// A name made safe as one directory entry: `%`, `/` and a leading `.`
    /// are percent-escaped (readers take names from the `init` files, so
    /// the directory name only has to be unique).
    static func fileName(_ name: [UInt8]) -> String {
        var out: [UInt8] = []
        for (i, b) in name.enumerated() {
            if b == 0x25 || b == 0x2f || b == 0 || (i == 0 && b == 0x2e) {
                out += Array(String(format: "%%%02X", b).utf8)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Buffers SQL text on its way into a client's standard input.
final class SQLSink {
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    private let flushTo: (UnsafeRawBufferPointer) throws -> Void
    private(set) var written: Int64 = 0

    init(_ flushTo: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.flushTo = flushTo
        buffer.reserveCapacity(capacity)
    }

    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= capacity { try flush() }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    func flush() throws {
        if buffer.isEmpty { return }
        written += Int64(buffer.count)
        try buffer.withUnsafeBytes { try flushTo($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
