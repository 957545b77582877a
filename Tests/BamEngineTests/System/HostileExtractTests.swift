import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Whole-system restores and rollbacks fed crafted extracts and rollback
/// stores. Each runs on a throwaway root with a sibling directory,
/// `outside`, that must come through untouched; the whole base is
/// snapshotted before and compared after.
@Suite("hostile whole-system extracts and rollback stores")
struct HostileExtractTests {
    /// A target root, a sibling with a file in it, and an extract whose
    /// extras hold the accounts of the target (so only the fsdelta and
    /// the overlay vary).
    final class World {
        let system: FakeSystemRoot
        let target: String
        let extract: String
        var outside: String { system.base + "/outside" }
        var extras: String { extract + "/TKLBAM" }

        init(_ label: String) throws {
            system = try FakeSystemRoot(label)
            target = try system.makeTarget()
            extract = system.base + "/extract"
            try Posix.makeDirectories(outside + "/keep", mode: 0o755)
            try Posix.writeFileAtomically(outside + "/victim", Array("precious\n".utf8), mode: 0o644)
            try Posix.writeFileAtomically(outside + "/keep/file", Array("keep me\n".utf8), mode: 0o644)
            try Posix.makeDirectories(extras + "/etc", mode: 0o700)
            for name in ["passwd", "group"] {
                try Posix.writeFileAtomically(extras + "/etc/" + name, try Posix.readFile(target + "/etc/" + name), mode: 0o600)
            }
        }

        func fsdelta(_ lines: [String]) throws {
            try Posix.writeFileAtomically(extras + "/fsdelta", Array(lines.map { $0 + "\n" }.joined().utf8), mode: 0o600)
        }

        /// A file in the extract's overlay.
        func overlay(_ path: String, _ text: String) throws {
            try Posix.makeDirectories((extract + path as NSString).deletingLastPathComponent, mode: 0o755)
            try Posix.writeFileAtomically(extract + path, Array(text.utf8), mode: 0o644)
        }

        func restore() throws -> SystemRestoreResult {
            try SystemRestore(options: system.restoreOptions(target: target, extract: extract), passphrase: { [] }).run()
        }

        /// Everything under the base but the extract (which a test may
        /// change between snapshots).
        func snapshot() throws -> TreeSnapshot {
            try TreeSnapshot(system.base, skipping: ["/extract", "/cache", "/registry"])
        }
    }

    static let hostileLines: [(line: String, why: String)] = [
        ("o\t/../outside/victim\t0\t0", "'..' component"),
        ("o\t/etc/../../outside/victim\t0\t0", "'..' component"),
        ("s\t/../outside\t0\t0\t040777", "'..' component"),
        ("d\t/../outside/victim", "'..' component"),
        ("d\t/etc//app.conf", "empty component"),
        ("o\t/etc/./app.conf\t0\t0", "'.' component"),
        ("d\t/etc/app.conf/", "empty component"),
        ("d\tetc/app.conf", "not an absolute path"),
    ]

    @Test(
        "an fsdelta path with '..', '.', an empty component or no leading slash refuses the whole restore, naming the line",
        arguments: hostileLines.indices)
    func hostileFsdelta(index: Int) throws {
        let world = try World("hfs\(index)")
        let (line, why) = Self.hostileLines[index]
        try world.overlay("/outside/victim", "overwritten\n")
        try world.fsdelta(["o\t/etc/app.conf\t0\t0", line])
        try world.overlay("/etc/app.conf", "setting = 9\n")
        let before = try world.snapshot()
        do {
            _ = try world.restore()
            Issue.record("the restore of \(line) succeeded")
        } catch BamError.unsafePath(_, let reason) {
            #expect(reason.contains(why) && reason.contains("fsdelta, line 2"), "\(reason)")
        }
        let differences = try world.snapshot().differences(from: before)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test("a symlink the overlay puts in the root is never followed: writes, mode changes and deletions through it stay inside")
    func symlinkInOverlay() throws {
        let world = try World("hlink")
        try Posix.makeDirectories(world.extract + "/srv", mode: 0o755)
        #expect(symlink("../../outside", world.extract + "/srv/lnk") == 0)
        try Posix.makeDirectories(world.extract + "/srv/real", mode: 0o755)
        try world.overlay("/srv/real/victim", "overwritten\n")
        try world.fsdelta([
            "o\t/srv/lnk\t0\t0",
            "o\t/srv/lnk/victim\t0\t0",
            "s\t/srv/lnk/keep\t0\t0\t040777",
            "d\t/srv/lnk/keep/file",
        ])
        // The overlay source of /srv/lnk/victim would be read through the
        // extract's own symlink: refused as well.
        let outsideBefore = try TreeSnapshot(world.outside)
        let result = try world.restore()
        #expect(result.filesWritten == 1, "only the link itself")
        #expect(result.warnings.count == 3, "\(result.warnings)")
        #expect(try Posix.readlink(Array((world.target + "/srv/lnk").utf8)) == Array("../../outside".utf8))
        let differences = try TreeSnapshot(world.outside).differences(from: outsideBefore)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        // And the rollback removes the link without following it.
        _ = try SystemRollback(root: world.target, registry: world.system.registry).run()
        #expect(try Posix.lstatIfExists(Array((world.target + "/srv/lnk").utf8)) == nil)
        #expect(try TreeSnapshot(world.outside).differences(from: outsideBefore).isEmpty)
    }

    @Test("a root whose directory is a symlink out of it is not written through")
    func symlinkInRoot() throws {
        let world = try World("hroot")
        #expect(symlink("../outside", world.target + "/opt") == 0)
        try world.overlay("/opt/victim", "overwritten\n")
        try world.fsdelta(["o\t/opt/victim\t0\t0", "d\t/opt/keep/file", "s\t/opt/keep\t0\t0\t040777"])
        let before = try world.snapshot()
        let result = try world.restore()
        #expect(result.filesWritten == 0 && result.deleted == 0 && result.statFixed == 0)
        #expect(result.warnings.count == 3, "\(result.warnings)")
        _ = try SystemRollback(root: world.target, registry: world.system.registry).run()
        let differences = try world.snapshot().differences(from: before)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test(
        "extras holding a symlink or a FIFO are refused before anything reads them",
        arguments: ["etc-link", "fsdelta-link", "fifo"])
    func extrasWithSpecialFiles(kind: String) throws {
        let world = try World("hext-\(kind)")
        try world.fsdelta(["o\t/etc/app.conf\t0\t0"])
        try world.overlay("/etc/app.conf", "setting = 9\n")
        switch kind {
        case "etc-link":
            try Posix.removeTree(Array((world.extras + "/etc").utf8))
            #expect(symlink(world.outside, world.extras + "/etc") == 0)
        case "fsdelta-link":
            unlink(world.extras + "/fsdelta")
            #expect(symlink(world.outside + "/victim", world.extras + "/fsdelta") == 0)
        default:
            #expect(mkfifo(world.extras + "/newpkgs", 0o600) == 0)
        }
        let before = try world.snapshot()
        #expect(throws: BamError.self) { _ = try world.restore() }
        do { _ = try world.restore() } catch BamError.unsafePath(let path, _) {
            #expect(path.hasPrefix(world.extras + "/"), "\(path)")
        } catch { Issue.record("\(error)") }
        #expect(try world.snapshot().differences(from: before).isEmpty)
    }

    @Test("rollback removes only what the restore made: directories that existed before stay, with their other files")
    func rollbackKeepsPreexistingDirectories() throws {
        let world = try World("hrb")
        try Posix.makeDirectories(world.target + "/srv/existing", mode: 0o755)
        try Posix.writeFileAtomically(world.target + "/srv/existing/mine", Array("mine\n".utf8), mode: 0o644)
        try world.overlay("/srv/existing/new/deep/file", "new\n")
        try world.fsdelta(["o\t/srv/existing/new/deep/file\t0\t0"])
        let before = try world.snapshot()
        let result = try world.restore()
        #expect(result.filesWritten == 1)
        #expect(Posix.fileExists(world.target + "/srv/existing/new/deep/file"))
        _ = try SystemRollback(root: world.target, registry: world.system.registry).run()
        let differences = try world.snapshot().differences(from: before)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test("a rollback index line with '..' is refused with its line; nothing is removed")
    func hostileRollbackIndex() throws {
        let world = try World("hidx")
        try world.overlay("/srv/new", "new\n")
        try world.fsdelta(["o\t/srv/new\t0\t0"])
        _ = try world.restore()
        let store = RollbackStore(root: world.target)
        var index = try Posix.readFile(store.index)
        index += Array("/../outside\t-\n".utf8)
        try Posix.writeFileAtomically(store.index, index, mode: 0o600)
        let before = try world.snapshot()
        do {
            _ = try SystemRollback(root: world.target, registry: world.system.registry).run()
            Issue.record("the rollback ran")
        } catch BamError.unsafePath(_, let reason) {
            #expect(reason.contains("'..' component") && reason.contains("index, line"), "\(reason)")
        }
        #expect(try world.snapshot().differences(from: before).isEmpty)
    }

    @Test("rollback removes the partial copy a killed restore left beside its target")
    func rollbackRemovesPartialCopies() throws {
        let world = try World("hpart")
        try world.overlay("/etc/app.conf", "setting = 9\n")
        try world.fsdelta(["o\t/etc/app.conf\t0\t0"])
        let before = try world.snapshot()
        _ = try world.restore()
        // What a restore killed in the middle of copying leaves.
        try Posix.writeFileAtomically(world.target + "/etc/.bam-copy-4242-7", Array("half".utf8), mode: 0o600)
        // A name that only looks alike is the admin's, and stays.
        try Posix.writeFileAtomically(world.target + "/etc/.bam-copy-notes", Array("mine".utf8), mode: 0o600)
        let result = try SystemRollback(root: world.target, registry: world.system.registry).run()
        #expect(result.removed >= 1)
        #expect(!Posix.fileExists(world.target + "/etc/.bam-copy-4242-7"))
        let differences = try world.snapshot().differences(from: before)
        #expect(differences.count == 1 && differences[0].hasPrefix("/target/etc/.bam-copy-notes: absent -> "), "\(differences)")
    }

    @Test(
        "a newpkgs line that is not a package name (an apt option, a glob, a version pin) is refused with its line",
        arguments: ["-oAPT::Get::AllowUnauthenticated=true", "hello*", "hello=2.10-3", "../x", "Hello"])
    func hostileNewpkgs(line: String) throws {
        let world = try World("hpkg")
        try world.fsdelta(["o\t/etc/app.conf\t0\t0"])
        try world.overlay("/etc/app.conf", "setting = 9\n")
        try Posix.writeFileAtomically(world.extras + "/newpkgs", Array("hello\n\(line)\n".utf8), mode: 0o600)
        let before = try world.snapshot()
        do {
            _ = try world.restore()
            Issue.record("the restore ran")
        } catch BamError.corrupt(let what, let reason) {
            #expect(what.hasSuffix("newpkgs, line 2") && reason.contains("not a Debian package name"), "\(what): \(reason)")
        }
        #expect(try world.snapshot().differences(from: before).isEmpty)
    }

    @Test("a backup's copy of bam's own rollback store is not restored over the new one")
    func rollbackStoreInBackup() throws {
        let world = try World("hstore")
        try world.overlay("/var/backups/bam-rollback/index", "/../outside\t-\n")
        try world.fsdelta(["o\t/var/backups/bam-rollback/index\t0\t0"])
        let result = try world.restore()
        #expect(result.filesWritten == 0)
        #expect(result.warnings.contains { $0.contains("rollback store") }, "\(result.warnings)")
        let before = try TreeSnapshot(world.outside)
        _ = try SystemRollback(root: world.target, registry: world.system.registry).run()
        #expect(try TreeSnapshot(world.outside).differences(from: before).isEmpty)
    }
}

@Suite("RootPath")
struct RootPathTests {
    @Test("accepts plain absolute paths, any byte but NUL and '/' in a name")
    func accepts() throws {
        for path in ["/", "/etc", "/etc/passwd", "/a/..b/c..", "/.hidden", "/a b/\t/x", "/...", "/.a."] {
            #expect(try RootPath(validating: Array(path.utf8)).bytes == Array(path.utf8))
        }
        #expect(try RootPath(validating: [0x2f, 0xff, 0xfe]).bytes == [0x2f, 0xff, 0xfe])
    }

    @Test("refuses '..', '.', empty components, relative paths and NUL")
    func refuses() {
        for path in ["", "etc", "/..", "/a/..", "/../a", "/a/./b", "/.", "//", "/a//b", "/a/", "/a\u{0}b"] {
            #expect(throws: RootPath.Invalid.self, "\(path)") { try RootPath(validating: Array(path.utf8)) }
        }
    }

    @Test("prefixes run from the top down")
    func prefixes() throws {
        #expect(try RootPath(validating: Array("/a/b/c".utf8)).prefixes.map(\.description) == ["/a", "/a/b", "/a/b/c"])
        #expect(RootPath.root.prefixes.isEmpty)
    }
}

@Suite("package names")
struct PackageNameTests {
    @Test("Debian names, with or without an architecture, pass; anything else is refused")
    func names() throws {
        for name in ["hello", "libc6", "g++", "libstdc++6", "python3.11", "libc6:i386", "a0"] { #expect(PackageInstaller.isPackageName(name), "\(name)") }
        for name in ["", "a", "-o", "Hello", "foo*", "foo=1", "foo/bookworm", "foo:", "..", ".a", "foo bar", "foo:I386"] {
            #expect(!PackageInstaller.isPackageName(name), "\(name)")
        }
        #expect(try Profile.parsePackages("bb\n\naa\n bb \n", file: "p") == ["aa", "bb"])
        #expect(throws: BamError.self) { try Profile.parsePackages("aa\n-oX=1\n", file: "p") }
    }
}

@Suite("EntryCopy")
struct EntryCopyTests {
    @Test("a copy into a new directory whose name holds a backslash or a control byte makes exactly that name")
    func oddParentName() throws {
        let tree = try TestTree("entrycopy-odd")
        try Posix.writeFileAtomically(tree.root + "/source", Array("x".utf8), mode: 0o644)
        let odd: [UInt8] = Array("a\\b".utf8) + [0x01, 0x1b]
        let destination = Array(tree.root.utf8) + [0x2f] + odd + Array("/file".utf8)
        try EntryCopy.copy(from: Array((tree.root + "/source").utf8), to: destination, isRoot: false)
        #expect(try Posix.readFile(String(decoding: destination, as: UTF8.self)) == Array("x".utf8))
        #expect(try Posix.listDirectory(Array(tree.root.utf8)).contains(odd))
    }
}
