import Crypto
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The archive commands run as a user runs them: the built `bam` binary,
/// a throwaway registry, cache and `file://` target.
@Suite("bam backup/restore/verify commands", .serialized)
struct ArchiveCommandTests {
    @Test("init creates a private registry with a 27-character secret and refuses to replace it")
    func initRegistry() throws {
        let s = try CLISandbox("init")
        let first = try s.bam(["init", "--solo"])
        #expect(first.status == 0, "\(first.stderr)")
        let secret = try s.registry.loadSecret().value
        #expect(secret.count == 27 && !secret.contains("="))
        #expect(CLISandbox.mode(s.registry.path) == 0o700)
        #expect(CLISandbox.mode(s.registry.secretPath) == 0o600)
        let again = try s.bam(["init", "--solo"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("--force"))
        #expect(try s.registry.loadSecret().value == secret, "a refused init keeps the secret")
        #expect(try s.bam(["init", "--solo", "--force"]).status == 0)
        #expect(try s.registry.loadSecret().value != secret)
    }

    @Test("backup, restore and verify round trip, with JSON summaries")
    func roundTrip() throws {
        let s = try CLISandbox("roundtrip")
        try s.initialise()
        try s.makeSource()
        let backup = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1", "--json"])
        #expect(backup.status == 0, "\(backup.stderr)")
        let summary = try CLISandbox.json(backup.stdout)
        #expect(summary["type"] as? String == "summary")
        #expect(summary["kind"] as? String == "full")
        #expect((summary["volumes"] as? Int ?? 0) >= 2)

        let restore = try s.bam(["restore", "--raw-download", s.path("out"), "--address", s.address])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("restored"))
        let verify = try s.bam(["verify", "--address", s.address, "--compare", s.source])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        try "changed".write(toFile: s.source + "/etc/app.conf", atomically: false, encoding: .utf8)
        let differs = try s.bam(["verify", "--address", s.address, "--compare", s.source, "--json"])
        #expect(differs.status == 1, "a difference exits 1")
        #expect(differs.stdout.contains("etc/app.conf"))
    }

    /// `--compression balanced` (zlib 4 on every core, the default) stores
    /// text smaller than fast and best no larger than balanced; each
    /// restores and verifies the same; a value it does not know is a usage
    /// error.
    @Test("--compression fast, balanced, best: smaller in turn on text, same restore; an unknown value exits 64")
    func compressionBest() throws {
        let s = try CLISandbox("compression")
        try s.initialise()
        var text = ""
        // Words in a seeded random order, as prose: where zlib's lazy
        // matching beats ISA-L (a line repeated with a counter would not).
        let words = "the quick brown fox jumps over lazy dog backup volume chain server restore signature delta archive manifest key".split(separator: " ")
        var state: UInt64 = 42
        for i in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += words[Int(state >> 33) % words.count] + (i % 13 == 12 ? "\n" : " ")
        }
        try Posix.makeDirectories(s.source, mode: 0o755)
        try Posix.writeFileAtomically(s.source + "/words.txt", Array(text.utf8), mode: 0o644)
        var stored: [String: Int] = [:]
        for level in ["fast", "balanced", "best"] {
            let address = s.address + "-" + level
            let backup = try s.bam(["backup", "--raw-upload", s.source, "--address", address, "--compression", level, "--json"])
            #expect(backup.status == 0, "\(backup.stderr)")
            stored[level] = try CLISandbox.json(backup.stdout)["stored_bytes"] as? Int
            let out = s.path("out-" + level)
            #expect(try s.bam(["restore", "--raw-download", out, "--address", address]).status == 0)
            #expect(try Posix.readFile(out + "/words.txt") == Array(text.utf8))
            #expect(try s.bam(["verify", "--address", address, "--compare", s.source]).status == 0)
        }
        #expect((stored["balanced"] ?? .max) < (stored["fast"] ?? 0), "\(stored)")
        #expect((stored["best"] ?? .max) <= (stored["balanced"] ?? 0), "\(stored)")
        #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--compression", "zstd"]).status == 64)
    }

    @Test("a wrong passphrase exits 11 with a clear message")
    func wrongPassphrase() throws {
        let s = try CLISandbox("wrongpass")
        try s.initialise()
        try s.makeSource()
        #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address]).status == 0)
        let other = s.path("other-registry")
        let r = try s.bam(["init", "--solo", "--registry", other])
        #expect(r.status == 0)
        let restore = try s.bam(["restore", "--raw-download", s.path("out"), "--address", s.address, "--registry", other])
        #expect(restore.status == 11, "\(restore.stderr)")
        #expect(restore.stderr.contains("wrong passphrase"))
        let leftBehind = (try? FileManager.default.contentsOfDirectory(atPath: s.path("out"))) ?? []
        #expect(leftBehind.isEmpty, "a refused restore writes nothing")
    }

    @Test(
        "a flipped byte, a truncated and a missing volume are reported by name (exit 12)",
        arguments: ["flip", "truncate", "remove"])
    func damagedVolume(damage: String) throws {
        let s = try CLISandbox("damage-\(damage)")
        try s.initialise()
        try s.makeSource()
        #expect(try s.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--volsize", "1"]).status == 0)
        let volume = try #require(try FileManager.default.contentsOfDirectory(atPath: s.target).first { $0.contains(".vol2.") })
        let path = s.target + "/" + volume
        switch damage {
        case "flip":
            var bytes = try Posix.readFile(path)
            bytes[bytes.count / 2] ^= 0x40
            try Posix.writeFileAtomically(path, bytes, mode: 0o600)
        case "truncate":
            #expect(truncate(path, 4096) == 0)
        default:
            #expect(unlink(path) == 0)
        }
        for command in [["restore", "--raw-download", s.path("out-\(damage)")], ["verify"]] {
            let r = try s.bam(command + ["--address", s.address])
            #expect(r.status == 12, "\(command[0]): \(r.stderr)")
            #expect(r.stderr.contains(volume), "the message names the volume: \(r.stderr)")
        }
    }

    /// A PAX header whose record is shorter than its own length prefix,
    /// then one file: the reader trapped on it (exit 132) before issue #15.
    static func malformedPaxTar(entryName: String) -> [UInt8] {
        let records = Array("2 path=x\n".utf8)
        let pax = TarHeaderEncoder.ustarBlock(
            TarEntry(name: Array("././@PaxHeader".utf8), type: .regular, mode: 0o644, uid: 0, gid: 0, size: Int64(records.count), mtime: 1),
            typeFlag: 0x78)
        let data = Array("content".utf8)
        let file = TarHeaderEncoder.encode(
            TarEntry(name: Array(entryName.utf8), type: .regular, mode: 0o644, uid: 0, gid: 0, size: Int64(data.count), mtime: 1))
        return pax + records + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(records.count))
            + file + data + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(data.count) + 10_240)
    }

    @Test("a malformed PAX record in a volume is damage (exit 12) naming the volume, for restore and verify")
    func malformedPaxVolume() throws {
        let s = try CLISandbox("pax-volume")
        try s.initialise()
        try s.storeCraftedFullSet(volume: Self.malformedPaxTar(entryName: "snapshot/a"))
        for command in [["restore", "--raw-download", s.path("out")], ["verify"]] {
            let r = try s.bam(command + ["--address", s.address])
            #expect(r.status == 12, "\(command[0]): \(r.stderr)")
            #expect(r.stderr.contains(".vol1.difftar"), "the message names the volume: \(r.stderr)")
            #expect(r.stderr.contains("PAX record"), "\(r.stderr)")
        }
    }

    @Test("a malformed PAX record in the signature archive stops an incremental backup with exit 12")
    func malformedPaxSignatures() throws {
        let s = try CLISandbox("pax-sigtar")
        try s.initialise()
        try s.makeSource()
        try s.storeCraftedFullSet(
            volume: [UInt8](repeating: 0, count: 10_240),
            signatures: Self.malformedPaxTar(entryName: "snapshot/a"))
        // The crafted set is from 2023: a long interval makes this an incremental.
        let r = try s.bam(["backup", "--raw-upload", s.source, "--address", s.address, "--full-backup", "50Y"])
        #expect(r.status == 12, "\(r.stderr)")
        #expect(r.stderr.contains("signatures"), "the message names the signature archive: \(r.stderr)")
        #expect(r.stderr.contains("PAX record"), "\(r.stderr)")
    }

    @Test(
        "tar entries that would leave the destination are refused (exit 13) and write nothing outside",
        arguments: ["symlink", "dotdot", "absolute"])
    func hostileEntries(kind: String) throws {
        let s = try CLISandbox("hostile-\(kind)")
        try s.initialise()
        let outside = s.path("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        func file(_ name: String, _ data: String) -> [UInt8] {
            let bytes = Array(data.utf8)
            return TarHeaderEncoder.encode(TarEntry(name: Array(name.utf8), type: .regular, mode: 0o644, uid: 0, gid: 0, size: Int64(bytes.count), mtime: 1))
                + bytes + [UInt8](repeating: 0, count: TarHeaderEncoder.padding(bytes.count))
        }
        var tar = TarHeaderEncoder.encode(TarEntry(name: Array("snapshot/./".utf8), type: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1))
        switch kind {
        case "symlink":
            var link = TarEntry(name: Array("snapshot/evil".utf8), type: .symlink, mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1)
            link.linkName = Array(outside.utf8)
            tar += TarHeaderEncoder.encode(link) + file("snapshot/evil/pwned", "owned")
        case "dotdot":
            tar += file("snapshot/../outside/pwned", "owned")
        default:
            tar += file("snapshot/" + outside + "/pwned", "owned")
        }
        tar += [UInt8](repeating: 0, count: 10_240)
        try s.storeCraftedFullSet(volume: tar)
        let r = try s.bam(["restore", "--raw-download", s.path("dest"), "--address", s.address])
        #expect(r.status == 13, "\(r.stderr)")
        #expect(r.stderr.contains("unsafe"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside + "/pwned"))
    }
}
