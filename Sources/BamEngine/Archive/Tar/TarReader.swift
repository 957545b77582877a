#if canImport(Glibc)
import Glibc
#endif

/// Reads a tar stream from a file descriptor: PAX (`x`, `g` ignored), GNU
/// long names (`L`/`K`), plain ustar. A missing end-of-archive and junk
/// after it are accepted (duplicity tops volumes up past the end); a header
/// with a bad checksum or an entry cut short is an error naming the archive.
public final class TarReader {
    private let fd: Int32
    private let label: String
    private var buffer: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    private var start = 0
    private var end = 0
    private var eof = false
    private var remaining: Int64 = 0  // data bytes of the current entry not yet read
    private var pad = 0  // padding after the current entry's data
    public private(set) var entryCount = 0

    /// `label` names the archive in errors (a volume name).
    public init(fd: Int32, label: String) {
        self.fd = fd
        self.label = label
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private func fill() throws {
        if start > 0 && start == end { start = 0; end = 0 }
        if start > capacity / 2 {
            memmove(buffer, buffer + start, end - start)
            end -= start; start = 0
        }
        while !eof && end < capacity {
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 { if errno == EINTR { continue }; throw BamError.io(path: label, operation: "read", errno: errno) }
            if n == 0 { eof = true; break }
            end += n
            if end - start >= 65536 { break }
        }
    }

    /// Up to `count` bytes (fewer only at end of stream).
    private func take(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var done = 0
        while done < count {
            if start == end { try fill(); if start == end { break } }
            let n = min(count - done, end - start)
            try body(UnsafeRawBufferPointer(start: buffer + start, count: n))
            start += n; done += n
        }
        return done
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        _ = try take(count) { out.append(contentsOf: $0) }
        return out
    }

    private func truncated(_ what: String) -> BamError {
        .corrupt(what: label, reason: "archive ends inside \(what) (truncated)")
    }

    /// Skips what is left of the current entry.
    private func skipRest() throws {
        while remaining > 0 {
            let n = try take(Int(min(remaining, 1 << 20))) { _ in }
            if n == 0 { throw truncated("an entry's data") }
            remaining -= Int64(n)
        }
        if pad > 0 {
            let n = try take(pad) { _ in }
            if n < pad { throw truncated("an entry's padding") }
            pad = 0
        }
    }

    /// The next entry, or nil at the end of the archive.
    public func next() throws -> TarEntry? {
        try skipRest()
        var pax: [String: [UInt8]] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        while true {
            let block = try readBytes(512)
            if block.isEmpty { return nil }  // no end-of-archive: fine
            if block.count < 512 { throw truncated("a header") }
            if block.allSatisfy({ $0 == 0 }) { return nil }  // end of archive; junk after is ignored
            try verifyChecksum(block)
            let typeFlag = block[156]
            let size = try number(block, 124, 12, field: "size")
            switch typeFlag {
            case 0x78, 0x67, 0x4c, 0x4b:  // x g L K: metadata for the next entry
                guard size >= 0 && size < 16 << 20 else { throw BamError.corrupt(what: label, reason: "extended header of \(size) bytes") }
                let data = try readBytes(Int(size))
                if data.count < size { throw truncated("an extended header") }
                let padding = TarHeaderEncoder.padding(Int(size))
                if try take(padding, { _ in }) < padding { throw truncated("an extended header") }
                if typeFlag == 0x78 { try parsePax(data, header: field(block, 0, 100), into: &pax) }
                if typeFlag == 0x4c { longName = Array(data.prefix { $0 != 0 }) }
                if typeFlag == 0x4b { longLink = Array(data.prefix { $0 != 0 }) }
                continue
            default:
                break
            }
            guard let type = entryType(typeFlag) else {
                throw BamError.corrupt(
                    what: label, reason: "unsupported tar entry type '\(Character(UnicodeScalar(typeFlag)))' for \(Posix.display(field(block, 0, 100)))")
            }
            var name = field(block, 0, 100)
            let magic = Array(block[257..<263])
            if magic.starts(with: Array("ustar".utf8)) {
                let prefix = field(block, 345, 155)
                if !prefix.isEmpty { name = prefix + [0x2f] + name }
            }
            if let longName { name = longName }
            if let path = pax["path"] { name = path }
            var entry = TarEntry(
                name: name, type: type,
                mode: UInt32(truncatingIfNeeded: try number(block, 100, 8, field: "mode")) & 0o7777,
                uid: UInt32(truncatingIfNeeded: try number(block, 108, 8, field: "uid")),
                gid: UInt32(truncatingIfNeeded: try number(block, 116, 8, field: "gid")),
                size: size,
                mtime: try number(block, 136, 12, field: "mtime"))
            entry.linkName = longLink ?? field(block, 157, 100)
            entry.userName = field(block, 265, 32)
            entry.groupName = field(block, 297, 32)
            entry.deviceMajor = UInt32(truncatingIfNeeded: try number(block, 329, 8, field: "devmajor"))
            entry.deviceMinor = UInt32(truncatingIfNeeded: try number(block, 337, 8, field: "devminor"))
            if let v = pax["linkpath"] { entry.linkName = v }
            if let v = pax["uname"] { entry.userName = v }
            if let v = pax["gname"] { entry.groupName = v }
            if let v = pax["uid"], let n = decimal(v) { entry.uid = UInt32(truncatingIfNeeded: n) }
            if let v = pax["gid"], let n = decimal(v) { entry.gid = UInt32(truncatingIfNeeded: n) }
            if let v = pax["size"], let n = decimal(v) { entry.size = n }
            if let v = pax["mtime"], let n = decimal(v) { entry.mtime = n }
            if entry.size < 0 { throw BamError.corrupt(what: label, reason: "negative size for \(Posix.display(name))") }
            // Only regular files carry data; others may state a size but we skip it.
            remaining = entry.size
            pad = TarHeaderEncoder.padding(Int(entry.size % 512))
            if type != .regular {
                try skipRest()
                entry.size = 0
            }
            entryCount += 1
            return entry
        }
    }

    /// Streams the current entry's data in pieces.
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remaining > 0 {
            let n = try take(Int(min(remaining, 1 << 20)), body)
            if n == 0 { throw truncated("an entry's data") }
            remaining -= Int64(n)
        }
        if pad > 0 {
            if try take(pad, { _ in }) < pad { throw truncated("an entry's padding") }
            pad = 0
        }
    }

    /// The current entry's data as an array (for small entries only).
    public func readAllData() throws -> [UInt8] {
        var out: [UInt8] = []
        try readData { out.append(contentsOf: $0) }
        return out
    }

    private func entryType(_ flag: UInt8) -> TarEntryType? {
        switch flag {
        case 0x30, 0, 0x37: return .regular
        case 0x32: return .symlink
        case 0x33: return .characterDevice
        case 0x34: return .blockDevice
        case 0x35: return .directory
        case 0x36: return .fifo
        default: return nil
        }
    }

    private func field(_ block: [UInt8], _ offset: Int, _ width: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in offset..<(offset + width) {
            if block[i] == 0 { break }
            out.append(block[i])
        }
        return out
    }

    private func number(_ block: [UInt8], _ offset: Int, _ width: Int, field name: String) throws -> Int64 {
        if block[offset] & 0x80 != 0 {
            // GNU base-256: big-endian two's complement after the marker bit.
            var value: Int64 = block[offset] & 0x40 != 0 ? -1 : 0
            value = (value << 6) | Int64(block[offset] & 0x3f)
            for i in (offset + 1)..<(offset + width) { value = (value << 8) | Int64(block[i]) }
            return value
        }
        var value: Int64 = 0
        var seen = false
        for i in offset..<(offset + width) {
            let b = block[i]
            if b == 0 || (b == 0x20 && seen) { break }
            if b == 0x20 { continue }
            guard b >= 0x30 && b <= 0x37 else {
                throw BamError.corrupt(what: label, reason: "bad \(name) field in the header of \(Posix.display(field(block, 0, 100)))")
            }
            value = value * 8 + Int64(b - 0x30)
            seen = true
        }
        return value
    }

    private func decimal(_ bytes: [UInt8]) -> Int64? {
        let text = String(decoding: bytes, as: UTF8.self)
        let whole = text.split(separator: ".", maxSplits: 1).first.map(String.init) ?? text
        return Int64(whole)
    }

    private func verifyChecksum(_ block: [UInt8]) throws {
        let stored = try number(block, 148, 8, field: "checksum")
        var unsigned = 0, signed = 0
        for i in 0..<512 {
            let b = (148..<156).contains(i) ? 0x20 : block[i]
            unsigned += Int(b)
            signed += Int(Int8(bitPattern: b))
        }
        if Int64(unsigned) != stored && Int64(signed) != stored {
            throw BamError.corrupt(what: label, reason: "tar header checksum mismatch after \(entryCount) entries")
        }
    }

    /// PAX records, "<length> <key>=<value>\n" where the length counts the
    /// whole record. Everything about a record is checked before it is
    /// sliced: a hostile length must give an error naming the archive and
    /// the header, never a trap.
    private func parsePax(_ data: [UInt8], header: [UInt8], into pax: inout [String: [UInt8]]) throws {
        func malformed(_ offset: Int, _ why: String) -> BamError {
            .corrupt(
                what: label,
                reason: "malformed PAX record at byte \(offset) of the extended header \(Posix.display(header)) after \(entryCount) entries: \(why)")
        }
        var i = 0
        while i < data.count {
            // Twenty digits hold any length; a longer prefix is not a length.
            guard let space = data[i..<min(data.count, i + 21)].firstIndex(of: 0x20) else {
                throw malformed(i, "no length followed by a space")
            }
            let digits = data[i..<space]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let length = Int(String(decoding: digits, as: UTF8.self))
            else {
                throw malformed(i, "the length is not a decimal number")
            }
            guard length <= data.count - i else {
                throw malformed(i, "its length \(length) runs past the end of the header (\(data.count - i) bytes left)")
            }
            let end = i + length  // one past the newline
            guard end >= space + 2 else {  // room for at least the space and the newline
                throw malformed(i, "its length \(length) is shorter than the record")
            }
            guard data[end - 1] == 0x0a else { throw malformed(i, "it does not end with a newline") }
            let record = data[(space + 1)..<(end - 1)]
            guard let eq = record.firstIndex(of: 0x3d) else { throw malformed(i, "it has no '='") }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            pax[key] = Array(record[(eq + 1)...])
            i = end
        }
    }
}
