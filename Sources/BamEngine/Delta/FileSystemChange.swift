/// One line of an `fsdelta`, TAB-separated:
/// `o path uid gid` (new or changed content: the file goes into the
/// backup), `s path uid gid mode` (only owner or mode changed, or a new
/// directory; mode is the full st_mode in octal with a leading 0, e.g.
/// `0100644`), `d path` (in the profile, gone from the system).
public enum FileSystemChange: Equatable, Sendable {
    case overwrite(path: RootPath, uid: UInt32, gid: UInt32)
    case stat(path: RootPath, uid: UInt32, gid: UInt32, mode: UInt32)
    case deleted(path: RootPath)

    public var path: RootPath {
        switch self {
        case .overwrite(let path, _, _): return path
        case .stat(let path, _, _, _): return path
        case .deleted(let path): return path
        }
    }

    /// The operation letter: `o`, `s` or `d`.
    public var operation: Character {
        switch self {
        case .overwrite: return "o"
        case .stat: return "s"
        case .deleted: return "d"
        }
    }

    /// The fsdelta line, without the newline.
    public var line: [UInt8] {
        switch self {
        case .overwrite(let path, let uid, let gid):
            return Array("o\t".utf8) + path.bytes + Array("\t\(uid)\t\(gid)".utf8)
        case .stat(let path, let uid, let gid, let mode):
            return Array("s\t".utf8) + path.bytes + Array("\t\(uid)\t\(gid)\t0\(String(mode, radix: 8))".utf8)
        case .deleted(let path):
            return Array("d\t".utf8) + path.bytes
        }
    }

    /// Parses one fsdelta line (without its newline). The path is taken as
    /// everything between the operation and the trailing numeric fields.
    public static func parse(_ line: [UInt8], file: String = "fsdelta", lineNumber: Int = 1) throws -> FileSystemChange {
        func bad(_ why: String) -> BamError { BamError.invalid("\(file):\(lineNumber): \(why)") }
        guard line.count > 2, line[1] == PathBytes.tab else { throw bad("expected '<o|s|d> TAB path ...'") }
        let rest = Array(line[2...])
        let op = line[0]
        if op == UInt8(ascii: "d") {
            return .deleted(path: try RootPath.parsed(rest, file: file, lineNumber: lineNumber))
        }
        let trailing = op == UInt8(ascii: "o") ? 2 : op == UInt8(ascii: "s") ? 3 : -1
        guard trailing > 0 else { throw bad("unknown operation '\(Posix.display([op]))'") }
        var fields: [[UInt8]] = []
        var end = rest.count
        for _ in 0..<trailing {
            guard let tab = rest[0..<end].lastIndex(of: PathBytes.tab) else { throw bad("too few fields") }
            fields.insert(Array(rest[(tab + 1)..<end]), at: 0)
            end = tab
        }
        let path = try RootPath.parsed(Array(rest[0..<end]), file: file, lineNumber: lineNumber)
        func number(_ bytes: [UInt8], radix: Int, _ name: String) throws -> UInt32 {
            guard let value = UInt32(String(decoding: bytes, as: UTF8.self), radix: radix) else {
                throw bad("bad \(name) '\(Posix.display(bytes))'")
            }
            return value
        }
        let uid = try number(fields[0], radix: 10, "uid")
        let gid = try number(fields[1], radix: 10, "gid")
        if trailing == 2 { return .overwrite(path: path, uid: uid, gid: gid) }
        return .stat(path: path, uid: uid, gid: gid, mode: try number(fields[2], radix: 8, "mode"))
    }
}
