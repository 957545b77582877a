import Testing

@testable import BamEngine

@Suite("Profile: dirindex format")
struct ProfileDirIndexTests {
    struct Sample: CustomTestStringConvertible, Sendable {
        var line: Int
        var path: String
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var mtime: Int64
        var testDescription: String { "line \(line) \(path)" }
    }

    static let drupal6Samples: [Sample] = [
        Sample(line: 1, path: "/etc", mode: 0o40755, uid: 0, gid: 0, size: 0x777, mtime: 0x4ac6_7ea2),
        Sample(line: 19, path: "/etc/X11/xkb/compat", mode: 0o120777, uid: 0, gid: 0, size: 0x19, mtime: 0x4ac6_7e09),
        Sample(
            line: 396, path: "/etc/drupal/6/sites/all/modules/admin_menu", mode: 0o40755, uid: 0x438, gid: 0x438,
            size: 0xf3, mtime: 0x4a4c_a71e),
        Sample(
            line: 3929, path: "/etc/ssh/blacklist.DSA-1024", mode: 0o100644, uid: 0, gid: 0, size: 0x1f_81e3,
            mtime: 0x4829_8b55),
        Sample(line: 3942, path: "/etc/sudoers", mode: 0o100440, uid: 0, gid: 0, size: 0x1e1, mtime: 0x4ac6_7e4c),
        Sample(
            line: 4046, path: "/usr/local/lib/python2.5", mode: 0o42775, uid: 0, gid: 0x32, size: 0x1e,
            mtime: 0x4ac6_7dd4),
        Sample(line: 4587, path: "/var/www/index.html", mode: 0o100644, uid: 0, gid: 0, size: 0x2d, mtime: 0x4ac6_7e61),
    ]

    @Test("the drupal6 profile's dirindex parses completely")
    func drupal6ParsesCompletely() throws {
        let records = try DirIndex.read(try ReferenceProfiles.require("turnkey-drupal6-2009.10-hardy-x86/dirindex"))
        #expect(records.count == 4587)
        #expect(records.allSatisfy { $0.symlinkTarget == nil })
        #expect(records.filter(\.isSymlink).count == 297)
        #expect(records.filter(\.isDirectory).count == 638)
    }

    @Test("drupal6 dirindex fields", arguments: drupal6Samples)
    func drupal6Fields(_ sample: Sample) throws {
        let reader = try DirIndexReader(
            path: try ReferenceProfiles.require("turnkey-drupal6-2009.10-hardy-x86/dirindex"))
        var record: DirIndexRecord?
        while let next = try reader.next() {
            if reader.lineNumber == sample.line {
                record = next
                break
            }
        }
        let found = try #require(record)
        #expect(String(decoding: found.path, as: UTF8.self) == sample.path)
        #expect(found.mode == sample.mode)
        #expect(found.uid == sample.uid)
        #expect(found.gid == sample.gid)
        #expect(found.size == sample.size)
        #expect(found.mtime == sample.mtime)
        #expect(found.symlinkTarget == nil)
    }

    @Test("writing the drupal6 records gives the file back byte for byte")
    func drupal6RoundTrip() throws {
        let path = try ReferenceProfiles.require("turnkey-drupal6-2009.10-hardy-x86/dirindex")
        let tree = try ScratchTree()
        try DirIndex.write(try DirIndex.read(path), to: tree.full("dirindex"))
        #expect(try Posix.readFile(tree.full("dirindex")) == Posix.readFile(path))
    }

    struct LineCase: CustomTestStringConvertible, Sendable {
        var name: String
        var line: [UInt8]
        var record: DirIndexRecord
        var testDescription: String { name }
    }

    static let lineCases: [LineCase] = [
        LineCase(
            name: "regular file", line: Array("/etc/hosts\t81a4\t0\t0\t9e\t65a1b2c3".utf8),
            record: DirIndexRecord(path: "/etc/hosts", mode: 0o100644, uid: 0, gid: 0, size: 0x9e, mtime: 0x65a1_b2c3)),
        LineCase(
            name: "symlink with target",
            line: Array("/etc/X11/xkb/compat\ta1ff\t0\t0\t19\t4ac67e09\t/usr/share/X11/xkb/compat".utf8),
            record: DirIndexRecord(
                path: "/etc/X11/xkb/compat", mode: 0o120777, uid: 0, gid: 0, size: 25, mtime: 0x4ac6_7e09,
                symlinkTarget: "/usr/share/X11/xkb/compat")),
        LineCase(
            name: "negative mtime", line: Array("/old\t81a4\t3e8\t3e8\t0\t-1".utf8),
            record: DirIndexRecord(path: "/old", mode: 0o100644, uid: 1000, gid: 1000, size: 0, mtime: -1)),
        LineCase(
            name: "non-UTF-8 name",
            line: [0x2f, 0x73, 0x72, 0x76, 0x2f, 0xff, 0xfe] + Array("\t81a4\t0\t0\t0\t0".utf8),
            record: DirIndexRecord(
                path: [0x2f, 0x73, 0x72, 0x76, 0x2f, 0xff, 0xfe], mode: 0o100644, uid: 0, gid: 0, size: 0, mtime: 0)),
    ]

    @Test("record lines parse and format", arguments: lineCases)
    func recordLines(_ testCase: LineCase) throws {
        #expect(try DirIndexRecord.parse(testCase.line) == testCase.record)
        #expect(testCase.record.line == testCase.line)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(
            name: "too few fields", text: "/a\t81a4\t0\t0\t0\t0\n/b\t81a4\t0\t0\n",
            message: ":2: expected 6 or 7 TAB-separated fields, found 4"),
        BadCase(
            name: "bad hex", text: "/a\t81a4\t0\t0\t0\t0\n\n/b\t81a4\tzz\t0\t0\t0\n", message: ":3: bad uid field 'zz'"),
        BadCase(
            name: "unsorted", text: "/b\t81a4\t0\t0\t0\t0\n/a\t81a4\t0\t0\t0\t0\n", message: ":2: /a is out of order"),
        BadCase(
            name: "duplicate", text: "/a\t81a4\t0\t0\t0\t0\n/a\t81a4\t0\t0\t0\t0\n", message: ":2: /a is out of order"),
    ]

    @Test("bad dirindex lines are errors naming the line", arguments: badCases)
    func badLines(_ testCase: BadCase) throws {
        let tree = try ScratchTree()
        try tree.write("dirindex", testCase.text)
        do {
            _ = try DirIndex.read(tree.full("dirindex"))
            Issue.record("expected an error")
        } catch let error as BamError {
            #expect(error.description.contains(tree.full("dirindex") + testCase.message), "\(error)")
        }
    }

    @Test("the reader streams lines longer than its buffer and a last line without newline")
    func longLinesAndMissingNewline() throws {
        let tree = try ScratchTree()
        let long = "/" + String(repeating: "x", count: 3_000_000)
        try tree.write("dirindex", "/a\t81a4\t0\t0\t0\t0\n\(long)\t81a4\t0\t0\t1\t2")
        let records = try DirIndex.read(tree.full("dirindex"))
        #expect(records.count == 2)
        #expect(records[1].path.count == long.utf8.count)
        #expect(records[1].mtime == 2)
    }

    @Test("the writer refuses records out of order")
    func writerOrder() throws {
        let tree = try ScratchTree()
        let writer = try DirIndexWriter(path: tree.full("dirindex"))
        try writer.append(DirIndexRecord(path: "/b", mode: 0o100644, uid: 0, gid: 0, size: 0, mtime: 0))
        #expect(throws: BamError.self) {
            try writer.append(DirIndexRecord(path: "/a", mode: 0o100644, uid: 0, gid: 0, size: 0, mtime: 0))
        }
    }
}
