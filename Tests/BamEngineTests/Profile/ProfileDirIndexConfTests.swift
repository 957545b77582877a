import Testing

@testable import BamEngine

@Suite("Profile: dirindex.conf")
struct ProfileDirIndexConfTests {
    @Test("the drupal6 dirindex.conf parses")
    func drupal6() throws {
        let conf = try DirIndexConf.load(
            try ReferenceProfiles.require("turnkey-drupal6-2009.10-hardy-x86/dirindex.conf"))
        #expect(conf.rules.count == 27)
        #expect(conf.rules.first == PathRule(path: "/usr/share/drupal6", isIncluded: true))
        #expect(conf.rules.contains(PathRule(path: "/etc/passwd*", isIncluded: false)))
        #expect(conf.rules.last == PathRule(path: "/var/spool/postfix/lib", isIncluded: false))
    }

    @Test("the embedded Debian core list is core.conf verbatim")
    func embeddedCoreList() throws {
        let reference = try Posix.readFile(try ReferenceProfiles.require("core.conf"))
        #expect(Array(DirIndexConf.debianCore.text.utf8) == reference)
        #expect(DirIndexConf.debianCore.rules.contains(PathRule(path: "/var/lib/shellinabox", isIncluded: true)))
        #expect(DirIndexConf.debianCore.rules.contains(PathRule(path: "/root/.cache", isIncluded: false)))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var rules: [PathRule]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "include and exclude", text: "/etc\n-/etc/apt\n",
            rules: [.init(path: "/etc", isIncluded: true), .init(path: "/etc/apt", isIncluded: false)]),
        Case(
            name: "comment after a path", text: "/var/lib/x # why\n  # whole line\n\n",
            rules: [.init(path: "/var/lib/x", isIncluded: true)]),
        Case(name: "normalized", text: "/srv//a/./b/\n", rules: [.init(path: "/srv/a/b", isIncluded: true)]),
        Case(name: "glob", text: "-/var/run/*/*.pid\r\n", rules: [.init(path: "/var/run/*/*.pid", isIncluded: false)]),
        Case(
            name: "space inside a path", text: "/srv/my files\n",
            rules: [.init(path: "/srv/my files", isIncluded: true)]),
    ]

    @Test("lines", arguments: cases)
    func lines(_ testCase: Case) throws {
        #expect(try DirIndexConf.parse(testCase.text, file: "x").rules == testCase.rules)
    }

    @Test("a relative path is an error naming the line")
    func relativePath() {
        #expect(throws: BamError.invalid("profile/dirindex.conf:3: '-etc/apt' is not an absolute path")) {
            try DirIndexConf.parse("/etc\n# c\n-etc/apt\n", file: "profile/dirindex.conf")
        }
    }
}
