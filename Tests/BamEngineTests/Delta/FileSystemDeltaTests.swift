import Foundation
import Testing

@testable import BamEngine

#if canImport(Glibc)
import Glibc
#endif

@Suite("Delta: file-system delta")
struct FileSystemDeltaTests {
    static let rules = ["/etc", "-/etc/skip", "/etc/skip/keep", "-/etc/*.pid", "/srv", "/var/www"]
    static let uid = getuid()
    static let gid = getgid()

    static func p(_ path: [UInt8]) -> RootPath { try! RootPath(validating: path) }
    static func o(_ path: String) -> FileSystemChange { .overwrite(path: p(Array(path.utf8)), uid: uid, gid: gid) }
    static func s(_ path: String, _ mode: UInt32) -> FileSystemChange {
        .stat(path: p(Array(path.utf8)), uid: uid, gid: gid, mode: mode)
    }
    static func d(_ path: String) -> FileSystemChange { .deleted(path: p(Array(path.utf8))) }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// Builds the pristine tree the profile is made from.
        var before: @Sendable (ScratchTree) throws -> Void
        /// Changes the tree after the profile was made.
        var change: @Sendable (ScratchTree) throws -> Void = { _ in }
        /// Edits the profile's records (to fake owners a test cannot set).
        var editIndex: @Sendable ([DirIndexRecord]) -> [DirIndexRecord] = { $0 }
        var expected: [FileSystemChange]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unchanged tree", before: { try $0.file("etc/a", "x", mtime: 1000) }, expected: []),
        Case(
            name: "new file", before: { try $0.file("etc/a", "x") }, change: { try $0.file("etc/new", "n") },
            expected: [o("/etc/new")]),
        Case(
            name: "new directory and its file", before: { try $0.directory("etc") },
            change: {
                try $0.directory("etc/d", mode: 0o750)
                try $0.file("etc/d/f", "f")
            },
            expected: [s("/etc/d", 0o40750), o("/etc/d/f")]),
        Case(
            name: "changed size, same mtime", before: { try $0.file("etc/a", "one", mtime: 1000) },
            change: { try $0.file("etc/a", "three", mtime: 1000) }, expected: [o("/etc/a")]),
        Case(
            name: "changed mtime, same size", before: { try $0.file("etc/a", "one", mtime: 1000) },
            change: { try $0.touch("etc/a", mtime: 2000) }, expected: [o("/etc/a")]),
        Case(
            name: "changed mode only", before: { try $0.file("etc/a", "one", mode: 0o644, mtime: 1000) },
            change: { try $0.chmod("etc/a", 0o600) }, expected: [s("/etc/a", 0o100600)]),
        Case(
            name: "changed uid only", before: { try $0.file("etc/a", "one", mtime: 1000) },
            editIndex: { records in
                records.map {
                    var r = $0
                    if r.path == Array("/etc/a".utf8) { r.uid += 1 }
                    return r
                }
            },
            expected: [s("/etc/a", 0o100644)]),
        Case(
            name: "changed gid only", before: { try $0.file("etc/a", "one", mtime: 1000) },
            editIndex: { records in
                records.map {
                    var r = $0
                    if r.path == Array("/etc/a".utf8) { r.gid += 1 }
                    return r
                }
            },
            expected: [s("/etc/a", 0o100644)]),
        Case(
            name: "size change wins over owner change", before: { try $0.file("etc/a", "one", mtime: 1000) },
            change: { try $0.file("etc/a", "three", mtime: 1000) },
            editIndex: { records in
                records.map {
                    var r = $0
                    if r.path == Array("/etc/a".utf8) { r.uid += 1 }
                    return r
                }
            },
            expected: [o("/etc/a")]),
        Case(
            name: "deleted file",
            before: {
                try $0.file("etc/a", "a")
                try $0.file("etc/b", "b")
            },
            change: { try $0.remove("etc/b") }, expected: [d("/etc/b")]),
        Case(
            name: "deleted directory with contents", before: { try $0.file("etc/d/f", "f") },
            change: { try $0.remove("etc/d") }, expected: [d("/etc/d"), d("/etc/d/f")]),
        Case(
            name: "include root deleted", before: { try $0.file("srv/f", "f") },
            change: { try $0.remove("srv") }, expected: [d("/srv"), d("/srv/f")]),
        Case(
            name: "excluded subtree is ignored",
            before: {
                try $0.file("etc/skip/f", "f", mtime: 1000)
                try $0.file("etc/skip/old", "o")
            },
            change: {
                try $0.file("etc/skip/f", "changed")
                try $0.file("etc/skip/new", "n")
                try $0.remove("etc/skip/old")
                try $0.file("etc/run.pid", "1")
            },
            expected: []),
        Case(
            name: "include nested in an excluded subtree",
            before: { try $0.file("etc/skip/keep/f", "f", mtime: 1000) },
            change: {
                try $0.file("etc/skip/keep/f", "changed")
                try $0.file("etc/skip/keep/new", "n")
                try $0.file("etc/skip/other", "n")
            },
            expected: [o("/etc/skip/keep/f"), o("/etc/skip/keep/new")]),
        Case(
            name: "symlink re-created with the same target",
            before: {
                try $0.directory("etc")
                try $0.symlink("etc/l", to: "target", mtime: 1000)
            },
            change: {
                try $0.remove("etc/l")
                try $0.symlink("etc/l", to: "target", mtime: 2000)
            },
            expected: []),
        Case(
            name: "symlink with a new target",
            before: {
                try $0.directory("etc")
                try $0.symlink("etc/l", to: "target", mtime: 1000)
            },
            change: {
                try $0.remove("etc/l")
                try $0.symlink("etc/l", to: "elsewhere", mtime: 1000)
            },
            expected: [o("/etc/l")]),
        Case(
            name: "symlink from a profile that recorded no target",
            before: {
                try $0.directory("etc")
                try $0.symlink("etc/l", to: "target", mtime: 1000)
            },
            change: { try $0.touch("etc/l", mtime: 2000) },
            editIndex: { records in
                records.map {
                    var r = $0
                    r.symlinkTarget = nil
                    return r
                }
            },
            expected: [o("/etc/l")]),
        Case(
            name: "new socket is ignored", before: { try $0.directory("etc") },
            change: { try $0.socket("etc/sock") }, expected: []),
        Case(
            name: "socket with a new mtime is ignored",
            before: {
                try $0.directory("etc")
                try $0.socket("etc/sock")
                try $0.touch("etc/sock", mtime: 1000)
            },
            change: { try $0.touch("etc/sock", mtime: 2000) }, expected: []),
        Case(
            name: "new FIFO is content", before: { try $0.directory("etc") },
            change: { _ = mkfifo($0.full("etc/fifo"), 0o644) }, expected: [o("/etc/fifo")]),
        Case(
            name: "non-UTF-8 name", before: { try $0.directory("etc") },
            change: { try $0.file(Array("etc/".utf8) + [0xff, 0xfe, 0x41], Array("x".utf8)) },
            expected: [.overwrite(path: p(Array("/etc/".utf8) + [0xff, 0xfe, 0x41]), uid: uid, gid: gid)]),
        Case(
            name: "a directory's own size and mtime do not count", before: { try $0.file("etc/d/f", "f") },
            change: {
                try $0.file("etc/d/g", "g")
                try $0.touch("etc/d", mtime: 5000)
            },
            expected: [o("/etc/d/g")]),
        Case(
            name: "directory mode change", before: { try $0.directory("etc/d", mode: 0o755) },
            change: { try $0.chmod("etc/d", 0o700) }, expected: [s("/etc/d", 0o40700)]),
        Case(
            name: "paths come in byte order, not walk order", before: { try $0.directory("etc") },
            change: {
                try $0.file("etc/a/b", "x")
                try $0.chmod("etc/a", 0o755)
                try $0.file("etc/a-b", "x")
                try $0.file("etc/a.c", "x")
                try $0.file("etc/a0", "x")
            },
            expected: [s("/etc/a", 0o40755), o("/etc/a-b"), o("/etc/a.c"), o("/etc/a/b"), o("/etc/a0")]),
        Case(
            name: "parents of an include are not reported",
            before: { try $0.file("var/www/index.html", "x", mtime: 1000) },
            change: {
                try $0.file("var/log/new", "x")
                try $0.file("var/www/new", "x")
            },
            expected: [o("/var/www/new")]),
    ]

    @Test("delta rules", arguments: cases)
    func deltaRules(_ testCase: Case) throws {
        let root = try ScratchTree()
        try testCase.before(root)
        let rules = try Self.rules.map { try #require(PathRule($0)) }
        let profile = try ScratchTree()
        let index = profile.full("dirindex")
        _ = try DirIndex.create(root: root.path, rules: rules, to: index)
        try DirIndex.write(testCase.editIndex(try DirIndex.read(index)), to: index)
        try testCase.change(root)

        var changes: [FileSystemChange] = []
        let summary = try FileSystemDelta(root: root.path, indexPath: index, rules: rules).compute {
            changes.append($0)
        }
        #expect(changes == testCase.expected)
        #expect(summary.warnings == [])
        #expect(summary.overwritten == testCase.expected.filter { $0.operation == "o" }.count)
        #expect(summary.deleted == testCase.expected.filter { $0.operation == "d" }.count)
    }

    @Test("fsdelta and fsdelta-olist files")
    func files() throws {
        let root = try ScratchTree()
        try root.file("etc/keep", "k", mtime: 1000)
        try root.file("etc/gone", "g")
        try root.file("etc/mode", "m", mode: 0o644, mtime: 1000)
        let rules = [PathRule(path: "/etc", isIncluded: true)]
        let out = try ScratchTree()
        _ = try DirIndex.create(root: root.path, rules: rules, to: out.full("dirindex"))
        try root.remove("etc/gone")
        try root.chmod("etc/mode", 0o600)
        try root.directory("etc/new", mode: 0o700)
        try root.file("etc/new/file", "n")
        try root.touch("etc", mtime: 1000)

        let summary = try FileSystemDelta(root: root.path, indexPath: out.full("dirindex"), rules: rules)
            .write(fsdeltaPath: out.full("fsdelta"), olistPath: out.full("fsdelta-olist"))
        let (u, g) = (Self.uid, Self.gid)
        #expect(
            try out.read("fsdelta")
                == "d\t/etc/gone\ns\t/etc/mode\t\(u)\t\(g)\t0100600\ns\t/etc/new\t\(u)\t\(g)\t040700\no\t/etc/new/file\t\(u)\t\(g)\n"
        )
        #expect(try out.read("fsdelta-olist") == "/etc/new/file\n")
        #expect(summary.walkedEntries == 5)
        #expect(summary.indexEntries == 4)
        #expect((summary.overwritten, summary.statChanged, summary.deleted) == (1, 2, 1))
        // The lines parse back into the same changes.
        let parsed = try (try Posix.readFile(out.full("fsdelta"))).split(separator: PathBytes.newline).map {
            try FileSystemChange.parse(Array($0))
        }
        #expect(
            parsed.map(\.line)
                == (try Posix.readFile(out.full("fsdelta"))).split(separator: PathBytes.newline).map(Array.init))
    }

    @Test("the empty profile: every included path is new")
    func emptyProfile() throws {
        let root = try ScratchTree()
        try root.directory("srv", mode: 0o755)
        try root.file("srv/a", "a")
        try root.socket("srv/sock")
        var changes: [FileSystemChange] = []
        _ = try FileSystemDelta(root: root.path, indexPath: nil, rules: [PathRule(path: "/srv", isIncluded: true)])
            .compute { changes.append($0) }
        #expect(changes == [Self.s("/srv", 0o40755), Self.o("/srv/a")])
    }

    @Test("paths with no listed ancestor are neither walked nor deleted")
    func unlistedPaths() throws {
        let root = try ScratchTree()
        try root.file("etc/a", "a")
        let index = try ScratchTree()
        try DirIndex.write(
            [
                DirIndexRecord(
                    path: "/etc/a", mode: 0o100644, uid: Self.uid, gid: Self.gid, size: 1,
                    mtime: Int64(try root.lstat("etc/a").st_mtim.tv_sec)),
                DirIndexRecord(path: "/usr/bin/gone", mode: 0o100755, uid: 0, gid: 0, size: 1, mtime: 1),
            ], to: index.full("dirindex"))
        var changes: [FileSystemChange] = []
        _ = try FileSystemDelta(
            root: root.path, indexPath: index.full("dirindex"), rules: [PathRule(path: "/etc/a", isIncluded: true)]
        )
        .compute { changes.append($0) }
        #expect(changes == [])
    }

    @Test("a name holding a newline is a warning, not a broken line")
    func newlineInName() throws {
        let root = try ScratchTree()
        try root.file("srv/ok", "x")
        try root.file("srv/bad\nname", "x")
        var changes: [FileSystemChange] = []
        let summary = try FileSystemDelta(
            root: root.path, indexPath: nil, rules: [PathRule(path: "/srv", isIncluded: true)]
        )
        .compute { changes.append($0) }
        #expect(changes.map(\.path.bytes) == [Array("/srv".utf8), Array("/srv/ok".utf8)])
        #expect(
            summary.warnings.map(\.description) == [
                "/srv/bad\\x0aname: name holds a TAB or newline, which the dirindex and fsdelta formats cannot hold; skipped"
            ])
    }

    @Test("a directory that cannot be opened is a warning and its profile entries are not deleted")
    func unreadableDirectory() throws {
        // A path longer than PATH_MAX cannot be opened by name even by
        // root: build one with *at() calls.
        let root = try ScratchTree()
        try root.directory("srv")
        let component = String(repeating: "d", count: 200)
        var fd = open(root.full("srv"), O_RDONLY | O_DIRECTORY)
        var relative = "/srv"
        for _ in 0..<22 {
            #expect(mkdirat(fd, component, 0o755) == 0)
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
            relative += "/" + component
        }
        close(fd)
        defer {
            let rm = Process()
            rm.executableURL = URL(fileURLWithPath: "/bin/rm")
            rm.arguments = ["-rf", root.full("srv")]
            try? rm.run()
            rm.waitUntilExit()
        }
        let index = try ScratchTree()
        try DirIndex.write(
            [DirIndexRecord(path: relative + "/file", mode: 0o100644, uid: 0, gid: 0, size: 1, mtime: 1)],
            to: index.full("dirindex"))
        var changes: [FileSystemChange] = []
        let summary = try FileSystemDelta(
            root: root.path, indexPath: index.full("dirindex"), rules: [PathRule(path: "/srv", isIncluded: true)]
        )
        .compute { changes.append($0) }
        #expect(summary.warnings.count == 1)
        #expect(summary.warnings.first?.message.hasPrefix("cannot read directory") == true)
        #expect(!changes.contains { $0.operation == "d" })
        #expect(changes.contains { $0.operation == "s" })
    }
}
