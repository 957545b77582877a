/// duplicity's manifest quoting: a value holding whitespace, a backslash or
/// a quote is wrapped in double quotes with each such byte as `\xNN`
/// (lowercase hex); every other byte stays raw, even when not UTF-8.
public enum ManifestQuoting {
    static func needsEscape(_ b: UInt8) -> Bool {
        switch b {
        case 0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x5c, 0x22, 0x27: return true
        default: return false
        }
    }

    public static func quote(_ value: [UInt8]) -> [UInt8] {
        guard value.contains(where: needsEscape) else { return value }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [0x22]
        for b in value {
            if needsEscape(b) { out += [0x5c, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)]] } else { out.append(b) }
        }
        out.append(0x22)
        return out
    }

    public static func unquote(_ value: [UInt8]) throws -> [UInt8] {
        guard value.count >= 2, value.first == 0x22, value.last == 0x22 else { return value }
        var out: [UInt8] = []
        var i = 1
        let end = value.count - 1
        while i < end {
            if value[i] == 0x5c && i + 3 < end + 1 && value[i + 1] == 0x78,
                let hi = hexValue(value[i + 2]), let lo = hexValue(value[i + 3])
            {
                out.append(hi << 4 | lo)
                i += 4
            } else if value[i] == 0x5c && i + 1 < end {
                out.append(value[i + 1])  // a backslash-escaped byte
                i += 2
            } else {
                out.append(value[i])
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        case 0x41...0x46: return b - 0x41 + 10
        default: return nil
        }
    }
}
