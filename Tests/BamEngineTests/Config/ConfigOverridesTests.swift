import Testing

@testable import BamEngine

@Suite("Config: overrides")
struct ConfigOverridesTests {
    @Test("every kind of limit")
    func limits() throws {
        let tree = try ScratchTree()
        try tree.write(
            "overrides",
            """
            # paths
            /srv/my files
            -/var/www/*/cache   # caches are rebuilt
            /srv/a#b

            mysql:wordpress
            -mysql:wordpress/wp_sessions
            pgsql:app/events
            -pgsql:scratch

            """)
        let overrides = try Overrides.load(confDirectory: tree.path)
        #expect(
            overrides.pathRules == [
                PathRule(path: "/srv/my files", isIncluded: true),
                PathRule(path: "/var/www/*/cache", isIncluded: false),
                PathRule(path: "/srv/a#b", isIncluded: true),
            ])
        #expect(
            overrides.databaseLimits == [
                DatabaseLimit(engine: .mysql, database: "wordpress", isIncluded: true),
                DatabaseLimit(engine: .mysql, database: "wordpress", table: "wp_sessions", isIncluded: false),
                DatabaseLimit(engine: .pgsql, database: "app", table: "events", isIncluded: true),
                DatabaseLimit(engine: .pgsql, database: "scratch", isIncluded: false),
            ])
        #expect(
            overrides.lines == [
                "/srv/my files", "-/var/www/*/cache", "/srv/a#b", "mysql:wordpress", "-mysql:wordpress/wp_sessions",
                "pgsql:app/events", "-pgsql:scratch",
            ])
    }

    @Test("a missing file has no limits")
    func missing() throws {
        let tree = try ScratchTree()
        #expect(try Overrides.load(confDirectory: tree.path) == Overrides())
    }

    @Test("command-line limits are appended")
    func appended() throws {
        let overrides = try Overrides.parse("/srv\n", file: "overrides")
            .appending([try Overrides.parseLimit("-/srv/tmp"), try Overrides.parseLimit("mysql:db")])
        #expect(overrides.lines == ["/srv", "-/srv/tmp", "mysql:db"])
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "relative path", text: "/srv\nsrv/data\n", message: "overrides:2: 'srv/data' is not a limit"),
        BadCase(name: "unknown scheme", text: "# x\n\nsqlite:db\n", message: "overrides:3: 'sqlite:db' is not a limit"),
        BadCase(
            name: "empty database", text: "mysql:\n", message: "overrides:1: 'mysql:': no database name after 'mysql:'"),
        BadCase(
            name: "empty table", text: "-pgsql:db/\n", message: "overrides:1: '-pgsql:db/': empty table name after '/'"),
        BadCase(name: "dash alone", text: "-\n", message: "overrides:1: '-' is not a limit"),
    ]

    @Test("bad lines are errors naming the line", arguments: badCases)
    func badLines(_ testCase: BadCase) {
        do {
            _ = try Overrides.parse(testCase.text, file: "overrides")
            Issue.record("expected an error")
        } catch let error as BamError {
            #expect(error.description.hasPrefix(testCase.message), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a bad command-line limit")
    func badCommandLineLimit() {
        #expect(throws: BamError.self) { try Overrides.parseLimit("relative") }
    }
}
