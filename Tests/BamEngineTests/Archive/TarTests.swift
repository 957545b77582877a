import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

@Suite("Tar reading and writing")
struct TarTests {
    /// Writes `bytes` to a temp file and reads every entry back with its data.
    func readAll(_ bytes: [UInt8]) throws -> [(TarEntry, [UInt8])] {
        let tree = try TestTree("tar")
        let p = tree.path("archive.tar")
        try Posix.writeFileAtomically(p, bytes, mode: 0o600)
        let fd = open(p, O_RDONLY)
        defer { close(fd) }
        let reader = TarReader(fd: fd, label: "archive.tar")
        var out: [(TarEntry, [UInt8])] = []
        while let e = try reader.next() { out.append((e, try reader.readAllData())) }
        return out
    }

    func entry(_ name: [UInt8], _ data: [UInt8] = [], type: TarEntryType = .regular) -> [UInt8] {
        var e = TarEntry(name: name, type: type, mode: 0o644, uid: 1, gid: 2, size: Int64(data.count), mtime: 1_700_000_000)
        e.userName = Array("user".utf8)
        return TarHeaderEncoder.encode(e) + data + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(data.count))
    }

    static let names: [[UInt8]] = [
        Array("snapshot/short".utf8),
        Array("snapshot/".utf8) + Array(repeating: 0x61, count: 150),
        Array("snapshot/".utf8) + Array(repeating: 0x62, count: 300),
        Array("snapshot/non-utf8-".utf8) + [0xff, 0xfe, 0x80],
        Array("snapshot/ünïcödé".utf8),
        Array("snapshot/new\nline and space".utf8),
    ]

    @Test("names round trip, through PAX where needed", arguments: names)
    func nameRoundTrip(name: [UInt8]) throws {
        let data = testBytes(1000)
        let entries = try readAll(entry(name, data) + [UInt8](repeating: 0, count: 1024))
        #expect(entries.count == 1)
        #expect(entries[0].0.name == name)
        #expect(entries[0].1 == data)
        #expect(entries[0].0.userName == Array("user".utf8))
    }

    @Test("non-UTF-8 values get hdrcharset=BINARY")
    func binaryCharset() {
        var e = TarEntry(name: Array("x/".utf8) + [0xff], type: .regular, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0)
        e.userName = []
        let text = String(decoding: TarHeaderEncoder.encode(e), as: UTF8.self)
        #expect(text.contains("hdrcharset=BINARY"))
    }

    @Test("large ids and sizes go to PAX records")
    func largeNumbers() throws {
        var e = TarEntry(name: Array("big".utf8), type: .directory, mode: 0o755, uid: 3_000_000, gid: 4_000_000, size: 0, mtime: 1)
        e.userName = []
        let read = try readAll(TarHeaderEncoder.encode(e))
        #expect(read[0].0.uid == 3_000_000 && read[0].0.gid == 4_000_000)
    }

    @Test("GNU long names and links (older backups) are read")
    func gnuLongNames() throws {
        let longName = Array("snapshot/".utf8) + Array(repeating: 0x63, count: 180)
        let longLink = Array(repeating: UInt8(0x64), count: 170)
        func gnu(_ flag: UInt8, _ value: [UInt8]) -> [UInt8] {
            let data = value + [0]
            var block = TarHeaderEncoder.ustarBlock(
                TarEntry(name: Array("././@LongLink".utf8), type: .regular, mode: 0, uid: 0, gid: 0, size: Int64(data.count), mtime: 0),
                typeFlag: flag)
            // Recompute the checksum for the changed type flag (ustarBlock did it with this flag already).
            block = Array(block)
            return block + data + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(data.count))
        }
        var link = TarEntry(name: Array("short".utf8), type: .symlink, mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0)
        link.linkName = Array("short-target".utf8)
        let bytes = gnu(0x4c, longName) + gnu(0x4b, longLink) + TarHeaderEncoder.ustarBlock(link, typeFlag: link.type.rawValue)
        let read = try readAll(bytes)
        #expect(read.count == 1)
        #expect(read[0].0.name == longName)
        #expect(read[0].0.linkName == longLink)
    }

    @Test("a missing end-of-archive and junk after it are accepted")
    func endOfArchive() throws {
        let a = entry(Array("snapshot/a".utf8), [1, 2, 3])
        #expect(try readAll(a).count == 1)
        #expect(try readAll(a + [UInt8](repeating: 0, count: 1024) + testBytes(5000)).count == 1)
    }

    @Test("a damaged header or a cut entry is an error naming the archive")
    func damage() throws {
        var a = entry(Array("snapshot/a".utf8), testBytes(2000))
        a[10] ^= 0x01
        #expect(throws: BamError.self) { try readAll(a) }
        let b = entry(Array("snapshot/b".utf8), testBytes(2000))
        do {
            _ = try readAll(Array(b.prefix(1200)))
            Issue.record("a truncated entry must fail")
        } catch let error as BamError {
            #expect("\(error)".contains("archive.tar"))
            #expect("\(error)".contains("truncated"))
        }
    }

    /// A PAX extended header holding `records` as they are, then one entry.
    func paxArchive(_ records: [UInt8]) -> [UInt8] {
        let header = TarEntry(name: Array("././@PaxHeader".utf8), type: .regular, mode: 0o644, uid: 0, gid: 0, size: Int64(records.count), mtime: 0)
        return TarHeaderEncoder.ustarBlock(header, typeFlag: 0x78) + records
            + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(records.count))
            + entry(Array("snapshot/a".utf8), [1, 2, 3]) + [UInt8](repeating: 0, count: 1024)
    }

    /// Records whose length prefix lies: the first two trapped (issue #15:
    /// a slice with its end before its start, an addition past Int.max).
    static let malformedPaxRecords: [String] = [
        "2 path=x\n",  // shorter than its own prefix
        "6 a=b\n9223372036854775807 path=x\n",  // i + length overflows
        "99 path=x\n",  // runs past the header
        "0 path=x\n",
        "-5 path=x\n",
        "+9 path=x\n",
        "9 path=xy",  // no newline
        "7 path\n",  // no '='
        "12345678901234567890123 path=x\n",  // not a length
        "path=x\n",
    ]

    @Test(
        "a malformed PAX record is damage naming the archive and the header, never a trap",
        arguments: malformedPaxRecords)
    func malformedPax(records: String) throws {
        do {
            _ = try readAll(paxArchive(Array(records.utf8)))
            Issue.record("a malformed PAX record must fail")
        } catch let error as BamError {
            guard case .corrupt = error else { Issue.record("expected damage, got \(error)"); return }
            #expect("\(error)".contains("archive.tar"), "\(error)")
            #expect("\(error)".contains("PAX record"), "\(error)")
            #expect("\(error)".contains("@PaxHeader"), "\(error)")
        }
    }

    @Test("well-formed PAX records are read, an empty value included")
    func wellFormedPax() throws {
        let records = TarHeaderEncoder.paxRecord("path", Array("snapshot/from-pax".utf8)) + TarHeaderEncoder.paxRecord("uname", [])
        let read = try readAll(paxArchive(records))
        #expect(read.count == 1)
        #expect(read[0].0.name == Array("snapshot/from-pax".utf8))
        #expect(read[0].0.userName == [])
        #expect(read[0].1 == [1, 2, 3])
    }
}

@Suite("Manifest and names")
struct ManifestTests {
    @Test(
        "quoting matches duplicity's",
        arguments: [
            ("plain/path", "plain/path"),
            ("with space", "\"with\\x20space\""),
            ("q\"d", "\"q\\x22d\""),
            ("s'q", "\"s\\x27q\""),
            ("back\\slash", "\"back\\x5cslash\""),
            ("new\nline", "\"new\\x0aline\""),
        ])
    func quoting(raw: String, quoted: String) throws {
        #expect(ManifestQuoting.quote(Array(raw.utf8)) == Array(quoted.utf8))
        #expect(try ManifestQuoting.unquote(Array(quoted.utf8)) == Array(raw.utf8))
    }

    @Test("a manifest renders byte for byte and parses back")
    func render() throws {
        var m = Manifest(hostname: "web1", localDirectory: Array("/srv/my data".utf8))
        m.volumes = [
            VolumeInfo(number: 1, startPath: [], startBlock: nil, endPath: Array("big/file".utf8), endBlock: 3, sha1: String(repeating: "a", count: 40)),
            VolumeInfo(
                number: 2, startPath: Array("big/file".utf8), startBlock: 3, endPath: Array("z z".utf8), endBlock: nil, sha1: String(repeating: "b", count: 40)),
        ]
        m.files = [(Array("big/file".utf8), .new), (Array("old".utf8), .changed)]
        let expected = """
            Hostname web1
            Localdir "/srv/my\\x20data"
            Volume 1:
                StartingPath   .  
                EndingPath     big/file 3
                Hash SHA1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            Volume 2:
                StartingPath   big/file 3
                EndingPath     "z\\x20z"  
                Hash SHA1 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
            Filelist 2
                new      big/file
                changed  old

            """
        #expect(String(decoding: m.render(), as: UTF8.self) == expected)
        #expect(try Manifest.parse(m.render(), label: "m") == m)
    }

    @Test(
        "file names parse and render",
        arguments: [
            "duplicity-full.20261127T101500Z.vol1.difftar.gpg",
            "duplicity-full.20261127T101500Z.vol12.difftar.gpg",
            "duplicity-full.20261127T101500Z.manifest.gpg",
            "duplicity-full-signatures.20261127T101500Z.sigtar.gpg",
            "duplicity-inc.20261127T101500Z.to.20261128T000001Z.vol3.difftar.gpg",
            "duplicity-inc.20261127T101500Z.to.20261128T000001Z.manifest.gpg",
            "duplicity-new-signatures.20261127T101500Z.to.20261128T000001Z.sigtar.gpg",
        ])
    func names(name: String) throws {
        let parsed = try #require(BackupFileName.parse(name))
        #expect(parsed.name == name)
    }

    @Test(
        "names that are not part of an archive are ignored",
        arguments: [
            "README", "duplicity-full.2026.vol1.difftar.gpg", "duplicity-full.20261127T101500Z.vol0.difftar.gpg",
            "duplicity-full.20261127T101500Z.vol1.difftar.gpg.part", "duplicity-inc.20261127T101500Z.manifest.gpg",
        ])
    func strangers(name: String) {
        #expect(BackupFileName.parse(name) == nil)
    }

    @Test("path order is component-wise")
    func order() {
        let sorted = [[UInt8]("a".utf8), Array("a/b".utf8), Array("a/b/c".utf8), Array("a-b".utf8), Array("ab".utf8), Array("b".utf8)]
        #expect(sorted.shuffled().sorted(by: PathOrder.less) == sorted)
    }
}
