import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import BamEngine

/// `Posix.display`, the one escaping of names and lines read from a backup
/// before they reach a terminal, a log or a page.
@Suite struct PosixDisplayTests {
    @Test("printable UTF-8 passes unchanged")
    func printable() {
        #expect(Posix.display(Array("etc/app.conf".utf8)) == "etc/app.conf")
        #expect(Posix.display("pässwörd/日本/ü b") == "pässwörd/日本/ü b")
    }

    @Test("C0 controls, DEL, C1 controls, line separators and backslash are spelled out as \\xNN")
    func controls() {
        #expect(Posix.display("a\u{1b}[2Jb") == "a\\x1b[2Jb")
        #expect(Posix.display("cr\rlf\ntab\tnul\u{0}") == "cr\\x0dlf\\x0atab\\x09nul\\x00")
        #expect(Posix.display("del\u{7f}") == "del\\x7f")
        #expect(Posix.display("csi\u{9b}31m") == "csi\\xc2\\x9b31m")
        #expect(Posix.display("line\u{2028}sep") == "line\\xe2\\x80\\xa8sep")
        #expect(Posix.display("back\\x1b") == "back\\x5cx1b", "a name cannot forge an escape")
    }

    @Test("invalid UTF-8 bytes are spelled out, with the rest")
    func invalid() {
        #expect(Posix.display([0x61, 0xff, 0x1b, 0x5c, 0x62]) == "a\\xff\\x1b\\x5cb")
    }

    @Test("the terminal guard escapes controls but keeps display's escapes and a message's lines")
    func terminalGuard() {
        let name = Posix.display("x\u{1b}y")
        #expect(Posix.controlsEscaped("error: \(name)\nhint\t1") == "error: x\\x1by\nhint\t1")
        #expect(Posix.controlsEscaped("server said \u{1b}]0;pwned\u{7}\r") == "server said \\x1b]0;pwned\\x07\\x0d")
    }
}

/// Paths made from names in a backup are made from their bytes, never from
/// their escaped display form.
@Suite struct PosixMakeDirectoriesTests {
    @Test("makeDirectories creates the very bytes asked for, backslashes, controls and invalid UTF-8 included")
    func bytePaths() throws {
        let tree = try TestTree("mkdirs")
        let path = Array((tree.root + "/a\\b/").utf8) + [0x1b, 0x09, 0xff] + Array("/c".utf8)
        try Posix.makeDirectories(path, mode: 0o755)
        let st = try Posix.lstat(path)
        #expect((st.st_mode & S_IFMT) == S_IFDIR)
        #expect(try Posix.listDirectory(Array(tree.root.utf8)).contains(Array("a\\b".utf8)))
        try Posix.makeDirectories(tree.root + "/plain/string", mode: 0o755)
        #expect(Posix.fileExists(tree.root + "/plain/string"))
    }
}
