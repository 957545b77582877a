#if canImport(Glibc)
import Glibc
#endif

/// The merged signature chain of a backup chain: the full set's signatures
/// overlaid by each incremental's new signatures, newest wins, `deleted/`
/// entries removing paths. Sorted in archive order for a merge with the walk.
public struct SignatureIndex {
    public private(set) var entries: [SignatureEntry] = []

    public init() {}

    /// Merges plain signature tars, oldest first.
    public init(sigtarFiles: [String]) throws {
        var byPath: [[UInt8]: SignatureEntry] = [:]
        for file in sigtarFiles {
            let fd = try Posix.open(Array(file.utf8), O_RDONLY)
            defer { close(fd) }
            let reader = TarReader(fd: fd, label: file)
            while let entry = try reader.next() {
                guard let (kind, path) = SignatureIndex.split(entry.name) else {
                    throw BamError.corrupt(what: file, reason: "unexpected entry \(Posix.display(entry.name))")
                }
                switch kind {
                case "signature":
                    byPath[path] = SignatureEntry(tar: entry, path: path, signature: try reader.readAllData(), archive: file)
                case "snapshot":
                    byPath[path] = SignatureEntry(tar: entry, path: path, signature: nil, archive: file)
                case "deleted":
                    byPath[path] = nil
                default:
                    throw BamError.corrupt(what: file, reason: "unexpected entry \(Posix.display(entry.name))")
                }
            }
        }
        entries = byPath.values.sorted { PathOrder.less($0.path, $1.path) }
    }

    /// Splits `signature/a/b`, `snapshot/a/b/`, `snapshot/./`, `deleted/x`
    /// into the kind and the relative path (empty for the root).
    static func split(_ name: [UInt8]) -> (String, [UInt8])? {
        guard let slash = name.firstIndex(of: 0x2f) else {
            let kind = String(decoding: name, as: UTF8.self)
            return ["snapshot", "signature", "deleted"].contains(kind) ? (kind, []) : nil
        }
        let kind = String(decoding: name[..<slash], as: UTF8.self)
        var path = Array(name[(slash + 1)...])
        while path.last == 0x2f { path.removeLast() }
        if path == [0x2e] { path = [] }
        return (kind, path)
    }
}
