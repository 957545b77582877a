/// Encodes tar headers the way duplicity's Python tarfile writes them: PAX
/// format with ustar magic; a `././@PaxHeader` extended header carries what
/// does not fit (long or non-ASCII names, large ids and sizes), preceded by
/// `hdrcharset=BINARY` when a value is not UTF-8.
public enum TarHeaderEncoder {
    /// The header blocks (PAX extended header first when needed) for `entry`.
    public static func encode(_ entry: TarEntry) -> [UInt8] {
        var records: [(String, [UInt8])] = []
        func needsPax(_ value: [UInt8], limit: Int) -> Bool {
            value.count > limit || value.contains(where: { $0 >= 0x80 })
        }
        if needsPax(entry.name, limit: 100) { records.append(("path", entry.name)) }
        if needsPax(entry.linkName, limit: 100) { records.append(("linkpath", entry.linkName)) }
        if needsPax(entry.userName, limit: 32) { records.append(("uname", entry.userName)) }
        if needsPax(entry.groupName, limit: 32) { records.append(("gname", entry.groupName)) }
        if entry.uid > 0o7777777 { records.append(("uid", Array(String(entry.uid).utf8))) }
        if entry.gid > 0o7777777 { records.append(("gid", Array(String(entry.gid).utf8))) }
        if entry.size > 0o77777777777 { records.append(("size", Array(String(entry.size).utf8))) }
        if entry.mtime > 0o77777777777 { records.append(("mtime", Array(String(entry.mtime).utf8))) }

        var out: [UInt8] = []
        out.reserveCapacity(records.isEmpty ? 512 : 1536)
        if !records.isEmpty {
            var body: [UInt8] = []
            if records.contains(where: { String(validating: $0.1, as: UTF8.self) == nil }) {
                body += paxRecord("hdrcharset", Array("BINARY".utf8))
            }
            for (key, value) in records { body += paxRecord(key, value) }
            var pax = TarEntry(name: Array("././@PaxHeader".utf8), type: .regular, mode: 0o644, uid: 0, gid: 0, size: Int64(body.count), mtime: 0)
            pax.userName = []
            out += ustarBlock(pax, typeFlag: 0x78)  // 'x'
            out += body
            out += [UInt8](repeating: 0, count: padding(body.count))
        }
        out += ustarBlock(entry, typeFlag: entry.type.rawValue)
        return out
    }

    /// Zero bytes that round `size` up to a whole block.
    public static func padding(_ size: Int) -> Int {
        let r = size % TarFormat.blockSize
        return r == 0 ? 0 : TarFormat.blockSize - r
    }

    /// One PAX record: "<len> <key>=<value>\n" where len counts itself.
    static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.count + 1  // " key=value\n"
        var length = rest + String(rest).count
        if String(length).count != String(rest).count { length = rest + String(length).count }
        return Array("\(length) \(key)=".utf8) + value + [0x0a]
    }

    static func ustarBlock(_ e: TarEntry, typeFlag: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (i, b) in bytes.prefix(width).enumerated() { block[offset + i] = b }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            // width-1 digits then NUL; values past the field went to PAX.
            let maxValue = Int64(1) << (3 * Int64(width - 1))
            let v = value < 0 ? 0 : (value >= maxValue ? maxValue - 1 : value)
            var digits = Array(String(v, radix: 8).utf8)
            while digits.count < width - 1 { digits.insert(0x30, at: 0) }
            put(digits, at: offset, width: width - 1)
        }
        put(e.name, at: 0, width: 100)
        octal(Int64(e.mode & 0o7777), at: 100, width: 8)
        octal(Int64(e.uid), at: 108, width: 8)
        octal(Int64(e.gid), at: 116, width: 8)
        octal(e.size, at: 124, width: 12)
        octal(e.mtime, at: 136, width: 12)
        block[156] = typeFlag
        put(e.linkName, at: 157, width: 100)
        put(Array("ustar\u{0}00".utf8), at: 257, width: 8)
        put(e.userName.count <= 32 ? e.userName : [], at: 265, width: 32)
        put(e.groupName.count <= 32 ? e.groupName : [], at: 297, width: 32)
        octal(Int64(e.deviceMajor), at: 329, width: 8)
        octal(Int64(e.deviceMinor), at: 337, width: 8)
        // Checksum: sum of all bytes with the checksum field as spaces.
        for i in 148..<156 { block[i] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        var digits = Array(String(sum, radix: 8).utf8)
        while digits.count < 6 { digits.insert(0x30, at: 0) }
        put(digits + [0, 0x20], at: 148, width: 8)
        return block
    }
}
