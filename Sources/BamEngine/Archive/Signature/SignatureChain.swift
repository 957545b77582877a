#if canImport(Glibc)
import Glibc
#endif

/// The merged signatures of a backup chain, read as a stream: the full
/// set's signature tar overlaid by each incremental's, newest wins,
/// `deleted/` entries removing paths, in archive order (`PathOrder`) for
/// the merge with the walk. Only the current entry of each tar is held, so
/// an incremental of a tree of a million files needs no more memory than
/// one of a thousand. Each tar must be in archive order, as bam and
/// duplicity write them: one that is not is damage, since the merge (and
/// so which files count as unchanged) could not be trusted.
public final class SignatureChain {
    private enum Kind { case signature, snapshot, deleted }

    /// One signature tar, at its current entry.
    private final class Cursor {
        let file: String
        let fd: Int32
        let reader: TarReader
        var kind = Kind.deleted
        var path: [UInt8] = []
        var entry: SignatureEntry?
        var atEnd = false
        private var started = false

        init(file: String) throws {
            self.file = file
            fd = try Posix.open(Array(file.utf8), O_RDONLY)
            reader = TarReader(fd: fd, label: file)
        }

        deinit { close(fd) }

        func advance() throws {
            guard let tar = try reader.next() else {
                atEnd = true
                entry = nil
                return
            }
            guard let (kindName, next) = SignatureChain.split(tar.name) else {
                throw BamError.corrupt(what: file, reason: "unexpected entry \(Posix.display(tar.name))")
            }
            if started && !PathOrder.less(path, next) {
                throw BamError.corrupt(
                    what: file, reason: "entries out of archive order: \(Posix.display(next)) after \(Posix.display(path))")
            }
            started = true
            path = next
            switch kindName {
            case "signature":
                kind = .signature
                entry = SignatureEntry(tar: tar, path: next, signature: try reader.readAllData(), archive: file)
            case "snapshot":
                kind = .snapshot
                entry = SignatureEntry(tar: tar, path: next, signature: nil, archive: file)
            case "deleted":
                kind = .deleted
                entry = nil
            default:
                throw BamError.corrupt(what: file, reason: "unexpected entry \(Posix.display(tar.name))")
            }
        }
    }

    /// Oldest first: a later tar's entry for a path wins.
    private let cursors: [Cursor]
    private var peeked: SignatureEntry??

    /// No signatures: a full backup's empty previous chain.
    public convenience init() throws { try self.init(sigtarFiles: []) }

    /// Plain signature tars, oldest first.
    public init(sigtarFiles: [String]) throws {
        cursors = try sigtarFiles.map(Cursor.init)
        for cursor in cursors { try cursor.advance() }
    }

    /// The next entry without taking it.
    public func peek() throws -> SignatureEntry? {
        if let peeked { return peeked }
        let next = try take()
        peeked = .some(next)
        return next
    }

    /// The next entry in archive order; nil at the end.
    public func next() throws -> SignatureEntry? {
        if let peeked {
            self.peeked = nil
            return peeked
        }
        return try take()
    }

    private func take() throws -> SignatureEntry? {
        while true {
            var lowest: [UInt8]?
            for cursor in cursors where !cursor.atEnd {
                if lowest.map({ PathOrder.less(cursor.path, $0) }) ?? true { lowest = cursor.path }
            }
            guard let lowest else { return nil }
            var winner: (kind: Kind, entry: SignatureEntry?)?
            for cursor in cursors where !cursor.atEnd && cursor.path == lowest {
                winner = (cursor.kind, cursor.entry)
                try cursor.advance()
            }
            if let winner, winner.kind != .deleted { return winner.entry }
        }
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
