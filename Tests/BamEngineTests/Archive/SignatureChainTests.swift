import Foundation
import Testing
@testable import BamEngine

/// The previous signatures of a chain, merged as a stream: newest wins,
/// deletions remove, archive order out; a tar out of order is damage.
@Suite("signature chain merge")
struct SignatureChainTests {
    enum Item {
        case snapshot(String)
        case signature(String, [UInt8])
        case deleted(String)
    }

    /// A plain signature tar of `items`, in the order given.
    static func sigtar(_ items: [Item], in directory: String, named name: String) throws -> String {
        var bytes: [UInt8] = []
        for item in items {
            let (entryName, type, data): (String, TarEntryType, [UInt8])
            switch item {
            case .snapshot(let path): (entryName, type, data) = ("snapshot/" + path, .directory, [])
            case .signature(let path, let signature): (entryName, type, data) = ("signature/" + path, .regular, signature)
            case .deleted(let path): (entryName, type, data) = ("deleted/" + path, .regular, [])
            }
            var header = TarEntry(name: Array(entryName.utf8), type: type, mode: 0o644, uid: 0, gid: 0, size: Int64(data.count), mtime: 1)
            header.userName = []
            bytes += TarHeaderEncoder.encode(header) + data + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(data.count))
        }
        bytes += [UInt8](repeating: 0, count: 1024)
        let path = directory + "/" + name
        try Posix.writeFileAtomically(path, bytes, mode: 0o600)
        return path
    }

    static func drain(_ chain: SignatureChain) throws -> [(String, [UInt8]?)] {
        var out: [(String, [UInt8]?)] = []
        while let entry = try chain.next() { out.append((String(decoding: entry.path, as: UTF8.self), entry.signature)) }
        return out
    }

    @Test("a full and two incrementals: newest signature wins, deleted paths go, a path deleted then re-added is back, archive order")
    func merge() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-sigchain-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let full = try Self.sigtar(
            [.snapshot("."), .snapshot("a"), .signature("a/x", [1]), .signature("a/y", [2]), .signature("a-b", [3]), .signature("z", [4])],
            in: dir, named: "full")
        let first = try Self.sigtar([.signature("a/x", [5]), .deleted("a/y"), .deleted("z")], in: dir, named: "inc1")
        let second = try Self.sigtar([.signature("a/w", [6]), .signature("z", [7])], in: dir, named: "inc2")
        let chain = try SignatureChain(sigtarFiles: [full, first, second])
        #expect(try chain.peek()?.path == [])
        let merged = try Self.drain(chain)
        #expect(merged.map(\.0) == ["", "a", "a/w", "a/x", "a-b", "z"])
        #expect(merged.map(\.1) == [nil, nil, [6], [5], [3], [7]])
        #expect(try chain.next() == nil && chain.peek() == nil)
    }

    @Test("a tar out of archive order is damage naming the tar and the paths")
    func outOfOrder() throws {
        let dir = try Posix.makeTemporaryDirectory(prefix: "bam-sigchain-order-")
        defer { try? Posix.removeTree(Array(dir.utf8)) }
        let bad = try Self.sigtar([.signature("b", [1]), .signature("a", [2])], in: dir, named: "bad")
        #expect {
            _ = try Self.drain(try SignatureChain(sigtarFiles: [bad]))
        } throws: { error in
            guard case BamError.corrupt(let what, let reason) = error else { return false }
            return what == bad && reason.contains("out of archive order") && reason.contains("a after b")
        }
        let twice = try Self.sigtar([.signature("a", [1]), .signature("a", [2])], in: dir, named: "twice")
        #expect(throws: BamError.self) { _ = try Self.drain(try SignatureChain(sigtarFiles: [twice])) }
    }
}
