/// A difftar entry name split into its kind and a checked relative path.
/// Names that would leave the destination (absolute, `..`, empty or `.`
/// components) are refused here, before anything touches the disk.
struct RestoreEntryName {
    enum Kind: String {
        case snapshot, diff, deleted
        case multivolSnapshot = "multivol_snapshot"
        case multivolDiff = "multivol_diff"
    }

    let kind: Kind
    let path: [UInt8]
    /// Chunk number of a multivol entry.
    let chunk: Int?

    init(_ name: [UInt8], volume: String) throws {
        guard let slash = name.firstIndex(of: 0x2f),
            let kind = Kind(rawValue: String(decoding: name[..<slash], as: UTF8.self))
        else { throw BamError.corrupt(what: volume, reason: "unexpected entry \(Posix.display(name))") }
        var rest = Array(name[(slash + 1)...])
        while rest.last == 0x2f { rest.removeLast() }
        var chunk: Int?
        if kind == .multivolSnapshot || kind == .multivolDiff {
            guard let last = rest.lastIndex(of: 0x2f), let n = Int(String(decoding: rest[(last + 1)...], as: UTF8.self)), n >= 1 else {
                throw BamError.corrupt(what: volume, reason: "multivolume entry without a chunk number: \(Posix.display(name))")
            }
            chunk = n
            rest = Array(rest[..<last])
        }
        if rest == [0x2e] { rest = [] }
        if rest.first == 0x2f {
            throw BamError.unsafePath(path: Posix.display(name), reason: "absolute path in \(volume)")
        }
        if !rest.isEmpty {
            for component in rest.split(separator: 0x2f, omittingEmptySubsequences: false) {
                if component.isEmpty || component.elementsEqual([0x2e]) || component.elementsEqual([0x2e, 0x2e]) {
                    throw BamError.unsafePath(path: Posix.display(name), reason: "'..', '.' or empty component in \(volume)")
                }
            }
        }
        self.kind = kind
        self.path = rest
        self.chunk = chunk
    }
}
