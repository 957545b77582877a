import Testing

@testable import BamEngine

@Suite("Delta: path limits")
struct DeltaPathLimitsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rules: [String]
        var included: [String]
        var excluded: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "nearest listed ancestor decides", rules: ["/etc", "-/etc/apt"],
            included: ["/etc", "/etc/hosts", "/etc/aptitude", "/etc/apt-x"],
            excluded: ["/etc/apt", "/etc/apt/sources.list", "/var", "/", "/etcx"]),
        Case(
            name: "no positive entries: everything else is included", rules: ["-/etc/apt"],
            included: ["/var/x", "/etc", "/"], excluded: ["/etc/apt", "/etc/apt/x/y"]),
        Case(
            name: "glob over one component", rules: ["/etc", "-/etc/passwd*"],
            included: ["/etc/group", "/etc/pass"], excluded: ["/etc/passwd", "/etc/passwd-", "/etc/passwdx/y"]),
        Case(
            name: "glob does not cross a slash", rules: ["/var/run", "-/var/run/*/*.pid"],
            included: ["/var/run/b.pid", "/var/run/a/b/c.pid", "/var/run/a/b.txt"], excluded: ["/var/run/a/b.pid"]),
        Case(
            name: "a glob star does not match a leading dot", rules: ["/srv", "-/srv/*"],
            included: ["/srv", "/srv/.hidden", "/srv/.hidden/x"], excluded: ["/srv/a", "/srv/a/b"]),
        Case(name: "later rule wins", rules: ["/etc", "-/etc"], included: [], excluded: ["/etc", "/etc/x"]),
        Case(name: "later rule wins, reversed", rules: ["-/etc", "/etc"], included: ["/etc", "/etc/x"], excluded: []),
        Case(
            name: "include nested in an exclude", rules: ["/etc", "-/etc/apt", "/etc/apt/keep"],
            included: ["/etc/apt/keep", "/etc/apt/keep/x"], excluded: ["/etc/apt/other", "/etc/apt"]),
        Case(
            name: "character class", rules: ["/srv", "-/srv/log[0-9]"],
            included: ["/srv/logs", "/srv/loga"], excluded: ["/srv/log1", "/srv/log7/x"]),
        Case(
            name: "rules are normalized", rules: ["/srv/", "-/srv//a/./b/"],
            included: ["/srv/a"], excluded: ["/srv/a/b"]),
    ]

    @Test("inclusion", arguments: cases)
    func inclusion(_ testCase: Case) throws {
        let limits = PathLimits(try testCase.rules.map { try #require(PathRule($0)) })
        for path in testCase.included { #expect(limits.isIncluded(path), "\(path) should be included") }
        for path in testCase.excluded { #expect(!limits.isIncluded(path), "\(path) should be excluded") }
    }

    @Test("the sorted-stream cache agrees with the direct lookup")
    func cacheAgrees() throws {
        let rules = ["/etc", "-/etc/apt", "/etc/apt/keep", "-/etc/*.pid", "/var/www", "-/var/www/*/cache", "/"]
        let limits = PathLimits(try rules.map { try #require(PathRule($0)) })
        let paths = [
            "/", "/bin", "/etc", "/etc/a.pid", "/etc/apt", "/etc/apt/keep", "/etc/apt/keep/x", "/etc/apt/z",
            "/etc/b", "/etc/b/c.pid", "/usr", "/var", "/var/www", "/var/www/s", "/var/www/s/cache",
            "/var/www/s/cache/x",
            "/var/www/s/data", "/var/wwwx",
        ].map { Array($0.utf8) }.sorted { PathBytes.compare($0, $1) < 0 }
        let cache = PathDecisionCache(limits)
        for path in paths {
            #expect(cache.decision(path) == limits.listedDecision(path), "\(Posix.display(path))")
        }
    }

    @Test("descent below a directory that is not included")
    func descentPlan() throws {
        let limits = PathLimits(
            try ["/var/www", "/var/lib/x", "-/home", "/home/*/public"].map { try #require(PathRule($0)) })
        #expect(limits.descentPlan(below: Array("/".utf8)) == .probe([Array("var".utf8), Array("home".utf8)]))
        #expect(limits.descentPlan(below: Array("/var".utf8)) == .probe([Array("www".utf8), Array("lib".utf8)]))
        #expect(limits.descentPlan(below: Array("/home".utf8)) == .list)
        #expect(limits.descentPlan(below: Array("/usr".utf8)) == nil)
        #expect(limits.descentPlan(below: Array("/var/www".utf8)) == nil)
    }
}
