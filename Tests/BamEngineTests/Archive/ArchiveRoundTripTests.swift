import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

@Suite("Archive round trips")
struct ArchiveRoundTripTests {
    @Test("every kind of entry survives a full backup and restore")
    func everyKind() throws {
        let h = try ArchiveHarness("kinds")
        try populateEveryKind(h.tree, area: "src")
        let result = try h.backup(h.tree.area("src"), full: true)
        #expect(!result.incremental)
        #expect(result.statistics.volumes >= 3, "a 1 MiB volume size must split this tree")
        try h.restore(into: h.tree.area("out"))
        try h.expectSame(h.tree.area("src"), h.tree.area("out"))
    }

    @Test("incrementals restore every point of the chain")
    func incrementalChain() throws {
        let h = try ArchiveHarness("chain")
        let src = h.tree.area("src")
        try populateEveryKind(h.tree, area: "src")
        let first = try h.backup(src)
        try runProcess("/bin/cp", ["-a", src, h.tree.area("state1")])

        // Change: edit inside a big file, append, delete, add, change mode and type.
        let big = src + "/big/over-volume.bin"
        let fd = open(big, O_WRONLY)
        _ = pwrite(fd, "CHANGED!", 8, 1_000_000)
        close(fd)
        try h.tree.file("src/small.txt", "hello, world, again\n", mode: 0o600)
        try Posix.removeTree(Array((src + "/names/with space").utf8))
        try Posix.removeTree(Array((src + "/dirs/a").utf8))
        try h.tree.file("src/added/new.txt", "new")
        _ = chmod(src + "/modes/sgid", 0o755)
        try Posix.removeTree(Array((src + "/links/relative").utf8))
        try h.tree.file("src/links/relative", "now a file")
        let second = try h.backup(src)
        #expect(second.incremental)
        #expect(second.statistics.changedFiles >= 2)
        #expect(second.statistics.deletedFiles >= 2)
        try runProcess("/bin/cp", ["-a", src, h.tree.area("state2")])

        try h.tree.file("src/small.txt", "third\n")
        let third = try h.backup(src)
        #expect(third.incremental)

        try h.restore(into: h.tree.area("latest"))
        try h.expectSame(src, h.tree.area("latest"))
        try h.restore(into: h.tree.area("at2"), time: second.time)
        try h.expectSame(h.tree.area("state2"), h.tree.area("at2"))
        try h.restore(into: h.tree.area("at1"), time: first.time)
        try h.expectSame(h.tree.area("state1"), h.tree.area("at1"))
    }

    @Test("a single path restores alone, fetching only the volumes that hold it")
    func singlePath() throws {
        let h = try ArchiveHarness("single")
        try populateEveryKind(h.tree, area: "src")
        try h.backup(h.tree.area("src"))
        let file = try h.restore(into: h.tree.area("one.txt"), path: "small.txt")
        #expect(file.files == 1)
        #expect(try String(contentsOfFile: h.tree.area("one.txt"), encoding: .utf8) == "hello, world\n")
        let dir = try h.restore(into: h.tree.area("dirs"), path: "dirs")
        #expect(dir.volumes < 3)
        try h.expectSame(h.tree.area("src") + "/dirs", h.tree.area("dirs"))
        #expect(throws: BamError.self) { try h.restore(into: h.tree.area("none"), path: "no/such/file") }
    }

    @Test("a missing metadata cache is rebuilt from the target")
    func cacheRebuilt() throws {
        let h = try ArchiveHarness("cache")
        let src = h.tree.area("src")
        try h.tree.file("src/a.txt", "one")
        try h.backup(src)
        try Posix.removeTree(Array(h.cache.utf8))
        try h.tree.file("src/a.txt", "two, longer")
        let second = try h.backup(src)
        #expect(second.incremental, "without its cache the chain is still continued")
        try h.restore(into: h.tree.area("out"))
        try h.expectSame(src, h.tree.area("out"))
    }

    @Test("full-backup age starts a new chain only when the last full is older")
    func fullBackupPolicy() throws {
        let h = try ArchiveHarness("policy")
        let src = h.tree.area("src")
        try h.tree.file("src/a.txt", "one")
        try h.backup(src)
        var options = ArchiveBackupOptions(source: src, address: h.address, cacheRoot: h.cache)
        options.fullBackup = try FullBackupPolicy.parse("1M")
        #expect(try ArchiveBackup(options: options, passphrase: Array(h.passphrase.utf8)).run().incremental)
        options.fullBackup = try FullBackupPolicy.parse("now")
        #expect(try !ArchiveBackup(options: options, passphrase: Array(h.passphrase.utf8)).run().incremental)
        #expect(ChainResolver(objects: try FileBackend(address: h.address).list()).chains.count == 2)
    }
}
