#if canImport(Glibc)
import Glibc
#endif

/// One line of a `dirindex`: the lstat fields of a path when the profile was
/// made, written TAB-separated in lowercase hex
/// (`path st_mode uid gid size mtime [symlink-target]`, mtime in whole
/// seconds), e.g. `/etc/X11/xkb/compat	a1ff	0	0	19	4ac67e09`.
public struct DirIndexRecord: Equatable, Sendable {
    /// The absolute path as bytes: file names need not be UTF-8.
    public var path: [UInt8]
    /// The full `st_mode`: file type and permission bits.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: Int64
    /// The target of a symlink; older profiles (2009's) do not record it.
    public var symlinkTarget: [UInt8]?

    public init(
        path: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtime: Int64,
        symlinkTarget: [UInt8]? = nil
    ) {
        self.path = path
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.symlinkTarget = symlinkTarget
    }

    public init(
        path: String, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtime: Int64,
        symlinkTarget: String? = nil
    ) {
        self.init(
            path: Array(path.utf8), mode: mode, uid: uid, gid: gid, size: size, mtime: mtime,
            symlinkTarget: symlinkTarget.map { Array($0.utf8) })
    }

    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }

    /// The record as a dirindex line, without the newline.
    public var line: [UInt8] {
        var out = path
        for value in [Int64(mode), Int64(uid), Int64(gid), size] {
            out.append(PathBytes.tab)
            out.append(contentsOf: String(value, radix: 16).utf8)
        }
        out.append(PathBytes.tab)
        if mtime < 0 { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: String(mtime.magnitude, radix: 16).utf8)
        if let symlinkTarget, !symlinkTarget.isEmpty {
            out.append(PathBytes.tab)
            out.append(contentsOf: symlinkTarget)
        }
        return out
    }

    /// Parses one line (without its newline). `file` and `lineNumber` name
    /// the line in errors.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, file: String, lineNumber: Int) throws -> DirIndexRecord {
        var fields: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
        var tabs = 0
        for i in 0..<line.count where line[i] == PathBytes.tab {
            switch tabs {
            case 0: fields.0 = i
            case 1: fields.1 = i
            case 2: fields.2 = i
            case 3: fields.3 = i
            case 4: fields.4 = i
            case 5: fields.5 = i
            default: break
            }
            tabs += 1
        }
        guard tabs == 5 || tabs == 6 else {
            throw BamError.invalid("\(file):\(lineNumber): expected 6 or 7 TAB-separated fields, found \(tabs + 1)")
        }
        if tabs == 5 { fields.5 = line.count }
        guard fields.0 > 0 else { throw BamError.invalid("\(file):\(lineNumber): empty path") }

        func hex(_ from: Int, _ to: Int, _ name: String) throws -> Int64 {
            var i = from
            var negative = false
            if i < to && line[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            guard i < to, to - i <= 16 else {
                throw BamError.invalid(
                    "\(file):\(lineNumber): bad \(name) field '\(Posix.display(Array(line[from..<to])))'")
            }
            var value: UInt64 = 0
            while i < to {
                let c = line[i]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default:
                    throw BamError.invalid(
                        "\(file):\(lineNumber): bad \(name) field '\(Posix.display(Array(line[from..<to])))'")
                }
                value = value << 4 | UInt64(digit)
                i += 1
            }
            guard value <= UInt64(Int64.max) else {
                throw BamError.invalid("\(file):\(lineNumber): \(name) out of range")
            }
            return negative ? -Int64(value) : Int64(value)
        }
        func unsigned32(_ from: Int, _ to: Int, _ name: String) throws -> UInt32 {
            let value = try hex(from, to, name)
            guard value >= 0, value <= Int64(UInt32.max) else {
                throw BamError.invalid("\(file):\(lineNumber): \(name) out of range")
            }
            return UInt32(value)
        }

        let mode = try unsigned32(fields.0 + 1, fields.1, "st_mode")
        let uid = try unsigned32(fields.1 + 1, fields.2, "uid")
        let gid = try unsigned32(fields.2 + 1, fields.3, "gid")
        let size = try hex(fields.3 + 1, fields.4, "size")
        let mtime = try hex(fields.4 + 1, fields.5, "mtime")
        let target = tabs == 6 ? Array(line[(fields.5 + 1)...]) : nil
        return DirIndexRecord(
            path: Array(line[0..<fields.0]), mode: mode, uid: uid, gid: gid, size: size, mtime: mtime,
            symlinkTarget: target)
    }

    public static func parse(_ line: [UInt8], file: String = "dirindex", lineNumber: Int = 1) throws -> DirIndexRecord {
        try line.withUnsafeBufferPointer { try parse($0, file: file, lineNumber: lineNumber) }
    }
}
