import Testing

@testable import BamEngine

@Suite("Users: account files")
struct UsersAccountFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var kind: AccountFileKind
        var text: [UInt8]
        var entries: Int
        var others: Int
        var testDescription: String { kind.rawValue }
    }

    static let cases: [Case] = [
        Case(
            kind: .passwd,
            text: Array("root:x:0:0:root:/root:/bin/bash\n# comment\n\n+::::::\nbroken:x:1\n".utf8)
                + Array("jos:x:1000:1000:Jos".utf8) + [0xe9] + Array(",,,:/home/jos:/bin/bash\n".utf8),
            entries: 2, others: 4),
        Case(
            kind: .group, text: Array("root:x:0:\nsudo:x:27:jos,ann\n+:::\nbad:x:notanumber:\n".utf8), entries: 2,
            others: 2),
        Case(
            kind: .shadow,
            text: Array("root:$y$j9T$abc:19000:0:99999:7:::\njos:!:19001:0:99999:7:::\n-@netgroup\n".utf8),
            entries: 2, others: 1),
        Case(kind: .gshadow, text: Array("root:*::\nsudo:*::jos\n".utf8), entries: 2, others: 0),
    ]

    @Test("parse and write back byte for byte", arguments: cases)
    func roundTrip(_ testCase: Case) {
        let file = AccountFile.parse(testCase.text, kind: testCase.kind)
        #expect(file.entries.count == testCase.entries)
        #expect(file.otherLines.count == testCase.others)
        #expect(file.serialized() == testCase.text)
    }

    @Test("fields are kept exactly, including non-UTF-8 bytes")
    func fields() throws {
        let file = AccountFile.parse(UsersAccountFileTests.cases[0].text, kind: .passwd)
        let jos = try #require(file.entry(named: "jos"))
        #expect(jos.fields.count == 7)
        #expect(jos.fields[4] == Array("Jos".utf8) + [0xe9] + Array(",,,".utf8))
        #expect(file.id(of: jos) == 1000)
    }

    @Test("writing keeps the mode of an existing file")
    func writeKeepsMode() throws {
        let tree = try ScratchTree()
        try tree.file("shadow", "root:*:1::::::\n", mode: 0o640)
        let file = AccountFile.parse("root:!:2::::::\n", kind: .shadow)
        try file.write(to: tree.full("shadow"))
        #expect(try tree.read("shadow") == "root:!:2::::::\n")
        #expect(try tree.lstat("shadow").st_mode & 0o7777 == 0o640)
    }
}
