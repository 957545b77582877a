import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Backups built by an attacker who holds the backup secret, restored or
/// read by the real `bam`: each is refused with its exit code, names the
/// entry or volume at fault (escaped), does not hang, and leaves nothing
/// bam made behind.
@Suite("hostile archives and values against the bam binary", .serialized)
struct HostileArchiveTests {
    typealias Sandbox = CLISandbox

    static let fullVolume = BackupFileName(kind: .volume(1), incremental: false, start: nil, end: CLISandbox.craftedFullTime).name

    @Test("a delta against a FIFO is damage (exit 12), not a restore blocked forever opening the FIFO")
    func deltaAgainstFIFO() throws {
        let s = try Sandbox("fifo-delta")
        try s.initialise()
        try s.storeCraftedSet(volumes: [
            Sandbox.tarEntry("snapshot/./", type: .directory, mode: 0o755) + Sandbox.tarEntry("snapshot/pipe", type: .fifo, mode: 0o600)
                + Sandbox.tarEnd
        ])
        // Any bytes: the basis is refused before the delta is read.
        try s.storeCraftedSet(
            volumes: [Sandbox.tarEntry("diff/pipe", data: Array("rs\u{02}6 not really a delta".utf8)) + Sandbox.tarEnd],
            incremental: 100)
        let r = try s.bam(["restore", "--raw-download", s.path("dest"), "--address", s.address], timeout: 60)
        #expect(r.status == 12, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("a delta for dest/pipe"), "\(r.stderr)")
        #expect(r.stderr.contains("not a regular file"), "\(r.stderr)")
    }

    struct Special: CustomTestStringConvertible, Sendable {
        var name: String
        var type: TarEntryType
        var mode: UInt32
        var testDescription: String { name }
    }

    static let specials = [
        Special(name: "fifo", type: .fifo, mode: 0o644),
        Special(name: "chardev", type: .characterDevice, mode: 0o644),
        Special(name: "blockdev", type: .blockDevice, mode: 0o600),
        Special(name: "setuid", type: .regular, mode: 0o4755),
        Special(name: "setgid", type: .regular, mode: 0o2755),
    ]

    @Test("--no-special-files refuses device nodes, FIFOs and setuid/setgid files (exit 13), naming the entry", arguments: specials)
    func noSpecialFiles(_ special: Special) throws {
        let s = try Sandbox("special-\(special.name)")
        try s.initialise()
        try s.storeCraftedFullSet(
            volume: Sandbox.tarEntry("snapshot/./", type: .directory, mode: 0o755)
                + Sandbox.tarEntry("snapshot/ok", data: Array("fine".utf8))
                + Sandbox.tarEntry("snapshot/\(special.name)", type: special.type, mode: special.mode) + Sandbox.tarEnd)
        let dest = s.path("dest")
        let refused = try s.bam(["restore", "--raw-download", dest, "--address", s.address, "--no-special-files"])
        #expect(refused.status == 13, "\(refused.stderr)")
        #expect(refused.stderr.contains("dest/\(special.name)") && refused.stderr.contains("--no-special-files"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest + "/" + special.name))

        // Without the flag they are restored as duplicity restores them
        // (device nodes need root: the test may not run as root).
        guard special.type != .characterDevice && special.type != .blockDevice else { return }
        let restored = try s.bam(["restore", "--raw-download", s.path("plain"), "--address", s.address])
        #expect(restored.status == 0, "\(restored.stderr)")
        var st = stat()
        #expect(lstat(s.path("plain/\(special.name)"), &st) == 0)
        #expect(st.st_mode & 0o7777 == mode_t(special.mode))
        #expect((st.st_mode & S_IFMT) == (special.type == .fifo ? S_IFIFO : S_IFREG))
    }

    @Test("--no-special-files is only for --raw-download (exit 64)")
    func noSpecialFilesNeedsRaw() throws {
        let s = try Sandbox("special-usage")
        let r = try s.bam(["restore", "--no-special-files", "--address", s.address])
        #expect(r.status == 64, "\(r.stderr)")
    }

    @Test(
        "a multivolume restore refused in its second volume leaves no temporary file",
        arguments: ["unsafe", "broken chain", "damaged volume"])
    func refusedRestoreLeavesNothing(failure: String) throws {
        let s = try Sandbox("leftover")
        try s.initialise()
        // The first chunk of a multivolume file fills its 64 KiB: more follows.
        let first =
            Sandbox.tarEntry("snapshot/./", type: .directory, mode: 0o755)
            + Sandbox.tarEntry("multivol_snapshot/big/1", data: [UInt8](repeating: 0x61, count: ChunkedEntryEmitter.chunkSize)) + Sandbox.tarEnd
        let second: [UInt8]
        switch failure {
        case "unsafe": second = Sandbox.tarEntry("multivol_snapshot/../big/2", data: Array("x".utf8)) + Sandbox.tarEnd
        case "broken chain": second = Sandbox.tarEntry("snapshot/other", data: Array("x".utf8)) + Sandbox.tarEnd
        default: second = Sandbox.tarEntry("multivol_snapshot/big/2", data: Array("x".utf8)) + Sandbox.tarEnd
        }
        try s.storeCraftedSet(volumes: [first, second])
        if failure == "damaged volume" {
            let path = s.target + "/" + BackupFileName(kind: .volume(2), incremental: false, start: nil, end: Sandbox.craftedFullTime).name
            var bytes = try Posix.readFile(path)
            bytes[bytes.count / 2] ^= 0x20
            try Posix.writeFileAtomically(path, bytes, mode: 0o600)
        }
        let area = s.path("restores")
        try Posix.makeDirectories(area, mode: 0o755)
        #expect(Sandbox.listing(area).isEmpty)
        let r = try s.bam(["restore", "--raw-download", area + "/dest", "--address", s.address])
        #expect(r.status == (failure == "unsafe" ? 13 : 12), "\(r.stderr)")
        // Only the destination directory the first volume made; no `.bam-restore-*`.
        #expect(Sandbox.listing(area) == ["dest"], "\(Sandbox.listing(area))")
    }

    struct Compression: CustomTestStringConvertible, Sendable {
        var name: String
        var packet: [UInt8]
        var testDescription: String { name }
    }

    /// OpenPGP compressed packets (old format, tag 8, length to the end)
    /// that no decoder can read, encrypted correctly by the real gpg.
    static let undecodable = [
        Compression(name: "unknown algorithm 99", packet: [0xA3, 99] + Array("whatever follows".utf8)),
        Compression(name: "corrupt deflate", packet: [0xA3, 1] + [UInt8](repeating: 0xFF, count: 64)),
        Compression(name: "corrupt zlib", packet: [0xA3, 2, 0x78, 0x9C] + [UInt8](repeating: 0xFF, count: 64)),
        Compression(name: "corrupt bzip2", packet: [0xA3, 3] + Array("BZh91AY&SY".utf8) + [UInt8](repeating: 0xFF, count: 64)),
        Compression(name: "empty bzip2", packet: [0xA3, 3]),
    ]

    @Test(
        "a volume whose compression cannot be decoded is damage (exit 12) naming the volume, never an empty volume",
        arguments: undecodable)
    func undecodableCompression(_ compression: Compression) throws {
        let s = try Sandbox("compression")
        try s.initialise()
        try s.storeCraftedSet(volumes: [compression.packet], gpgArguments: ["--no-literal", "--compress-algo", "none"])
        let dest = s.path("dest")
        let r = try s.bam(["restore", "--raw-download", dest, "--address", s.address], timeout: 120)
        #expect(r.status == 12, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains(Self.fullVolume), "\(r.stderr)")
    }

    @Test("a damaged librsync signature in the chain is damage (exit 12) naming the entry")
    func damagedSignature() throws {
        let s = try Sandbox("badsig")
        try s.initialise()
        try s.makeSource()
        let full = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address])
        #expect(full.status == 0, "\(full.stderr)")
        let sigtarName = try #require(try FileManager.default.contentsOfDirectory(atPath: s.target).first { $0.contains("signatures") })
        var sigtar = try s.gpgDecrypt(try Posix.readFile(s.target + "/" + sigtarName))
        // Every librsync signature starts "rs\x01" and a format byte; spoil them.
        var spoiled = 0
        for i in 0..<(sigtar.count - 4)
        where sigtar[i] == 0x72 && sigtar[i + 1] == 0x73 && sigtar[i + 2] == 0x01
            && [0x36, 0x37, 0x46, 0x47].contains(sigtar[i + 3])
        {
            sigtar[i + 3] = 0x00
            spoiled += 1
        }
        #expect(spoiled >= 4)
        try Posix.writeFileAtomically(s.target + "/" + sigtarName, try s.gpgEncrypt(sigtar), mode: 0o600)
        try Posix.removeTree(Array(s.path("cache").utf8))
        try "changed\n".write(toFile: s.source + "/etc/app.conf", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(100)], ofItemAtPath: s.source + "/etc/app.conf")
        let incremental = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address])
        #expect(incremental.status == 12, "\(incremental.status): \(incremental.stderr)")
        // Names the entry (whichever changed file is read first) and its signature archive.
        #expect(
            incremental.stderr.contains("bam: error: signature/") && incremental.stderr.contains("signatures.")
                && incremental.stderr.contains(".sigtar is corrupt"), "\(incremental.stderr)")
        #expect(!incremental.stderr.contains("librsync:"), "only bam's own message: \(incremental.stderr)")
    }

    @Test("names and manifest lines carrying terminal escapes are shown escaped")
    func escapesAreSpelledOut() throws {
        let s = try Sandbox("escape")
        try s.initialise()
        try s.storeCraftedFullSet(
            volume: Sandbox.tarEntry("snapshot/./", type: .directory, mode: 0o755)
                + Sandbox.tarEntry("snapshot/\u{1b}[2Jowned\r/../x", data: Array("x".utf8)) + Sandbox.tarEnd)
        let entry = try s.bam(["restore", "--raw-download", s.path("dest"), "--address", s.address])
        #expect(entry.status == 13, "\(entry.stderr)")
        #expect(entry.stderr.contains("\\x1b[2Jowned\\x0d"), "\(entry.stderr)")
        #expect(!entry.stderr.contains("\u{1b}") && !entry.stderr.contains("\r"))

        let manifestName = BackupFileName(kind: .manifest, incremental: false, start: nil, end: Sandbox.craftedFullTime).name
        let manifest = try s.gpgDecrypt(try Posix.readFile(s.target + "/" + manifestName)) + Array("\u{1b}[2Jfake\u{9b}31m line\n".utf8)
        try Posix.writeFileAtomically(s.target + "/" + manifestName, try s.gpgEncrypt(manifest), mode: 0o600)
        let line = try s.bam(["restore", "--raw-download", s.path("dest2"), "--address", s.address])
        #expect(line.status == 12, "\(line.stderr)")
        #expect(line.stderr.contains("\\x1b[2Jfake\\xc2\\x9b31m"), "\(line.stderr)")
        #expect(!line.stderr.contains("\u{1b}") && !line.stderr.contains("\u{9b}"))
    }

    @Test(
        "overflowing --time and --full-backup are usage errors (exit 64), not traps",
        arguments: [
            ["restore", "--raw-download", "DEST", "--address", "ADDRESS", "--time", "99999999999999999Y"],
            ["verify", "--address", "ADDRESS", "--time", "9223372036854775807s9223372036854775807s"],
            ["backup", "--raw-upload", "SOURCE", "--address", "ADDRESS", "--full-backup", "99999999999999999Y"],
        ])
    func overflowingFlags(_ template: [String]) throws {
        let s = try Sandbox("flags")
        try s.initialise()
        try s.makeSource()
        let arguments = template.map { ["DEST": s.path("dest"), "ADDRESS": s.address, "SOURCE": s.source][$0] ?? $0 }
        let r = try s.bam(arguments)
        #expect(r.status == 64, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("too large"), "\(r.stderr)")
    }

    @Test(
        "a saved conf value that once trapped every backup is an error naming the file and line (exit 1)",
        arguments: ["full-backup 999999999999999999M", "restore-cache-size 9007199254740992GB", "volsize 99999999999999"])
    func overflowingConf(_ line: String) throws {
        let s = try Sandbox("conf")
        try s.initialise()
        let conf = s.path("conf"), root = s.path("root")
        try Posix.makeDirectories(conf, mode: 0o755)
        try Posix.makeDirectories(root + "/etc", mode: 0o755)
        try Posix.writeFileAtomically(conf + "/conf", Array("# saved by the options page\n\(line)\n".utf8), mode: 0o644)
        let r = try s.bam(["backup", "--root", root, "--conf-dir", conf, "--address", s.address])
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains(conf + "/conf:2:"), "\(r.stderr)")
    }
}
