#if canImport(Glibc)
import Glibc
#endif

/// A whole passwd, group, shadow or gshadow file. Lines that are not
/// entries of the expected shape (comments, blank lines, NIS `+`/`-`
/// lines, wrong field counts) are kept verbatim in their place.
public struct AccountFile: Equatable, Sendable {
    public enum Line: Equatable, Sendable {
        case entry(AccountEntry)
        case other([UInt8])
    }

    public var kind: AccountFileKind
    public var lines: [Line]

    public init(kind: AccountFileKind, lines: [Line]) {
        self.kind = kind
        self.lines = lines
    }

    public init(kind: AccountFileKind, entries: [AccountEntry]) {
        self.init(kind: kind, lines: entries.map { .entry($0) })
    }

    /// The entries in file order.
    public var entries: [AccountEntry] {
        lines.compactMap { if case .entry(let entry) = $0 { return entry } else { return nil } }
    }

    /// The lines that are not entries, in file order.
    public var otherLines: [[UInt8]] {
        lines.compactMap { if case .other(let line) = $0 { return line } else { return nil } }
    }

    public func entry(named name: String) -> AccountEntry? {
        let bytes = Array(name.utf8)
        return entries.last { $0.nameBytes == bytes }
    }

    /// The id of an entry (uid in passwd, gid in group).
    public func id(of entry: AccountEntry) -> UInt32? {
        kind.idField.flatMap { entry.number(at: $0) }
    }

    /// The most an account file from a backup may hold: some hundred
    /// thousand accounts, far beyond any server, short of filling memory.
    public static let sizeLimit = 64 << 20

    public static func parse(_ bytes: [UInt8], kind: AccountFileKind) -> AccountFile {
        var raw = bytes.split(separator: PathBytes.newline, omittingEmptySubsequences: false).map(Array.init)
        if raw.last?.isEmpty == true { raw.removeLast() }
        return AccountFile(
            kind: kind,
            lines: raw.map { line in
                let entry = AccountEntry(line: line)
                return isEntry(entry, kind: kind) ? .entry(entry) : .other(line)
            })
    }

    public static func parse(_ text: String, kind: AccountFileKind) -> AccountFile {
        parse(Array(text.utf8), kind: kind)
    }

    public static func load(_ path: String, kind: AccountFileKind) throws -> AccountFile {
        parse(try Posix.readFile(path), kind: kind)
    }

    private static func isEntry(_ entry: AccountEntry, kind: AccountFileKind) -> Bool {
        let name = entry.fields[0]
        guard entry.fields.count >= 2, let first = name.first, first != UInt8(ascii: "+"), first != UInt8(ascii: "-"),
            first != UInt8(ascii: "#")
        else { return false }
        if let count = kind.fieldCount, entry.fields.count != count { return false }
        if kind == .passwd { return entry.number(at: 2) != nil && entry.number(at: 3) != nil }
        if kind == .group { return entry.number(at: 2) != nil }
        return true
    }

    /// The file's bytes, each line ending in a newline.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        for line in lines {
            switch line {
            case .entry(let entry): out.append(contentsOf: entry.line)
            case .other(let bytes): out.append(contentsOf: bytes)
            }
            out.append(PathBytes.newline)
        }
        return out
    }

    /// Replaces the file at `path` atomically. An existing file keeps its
    /// owner and mode (shadow stays root:shadow 0640); a new one gets the
    /// kind's usual mode.
    public func write(to path: String) throws {
        var st = stat()
        let existing = Posix.withCPath(Array(path.utf8)) { lstat($0, &st) } == 0
        let mode = existing ? mode_t(st.st_mode & 0o7777) : mode_t(kind.defaultMode)
        try Posix.writeFileAtomically(path, serialized(), mode: mode)
        if existing && (st.st_uid != geteuid() || st.st_gid != getegid()) && chown(path, st.st_uid, st.st_gid) != 0 {
            throw BamError.io(path: path, operation: "chown", errno: errno)
        }
    }
}
