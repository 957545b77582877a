import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Whole-system restores of crafted chains, as an attacker holding the
/// backup key would make them: a tree with hostile extras stored by bam's
/// own writer (encrypted with the registry's secret), then restored by the
/// built `bam` onto a throwaway root beside a directory that must survive.
@Suite("bam restore of hostile whole-system chains")
struct HostileSystemRestoreTests {
    /// Every path under `directory` with its type, mode, owner, size,
    /// mtime and content digest.
    static func fingerprint(_ directory: String) throws -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ relative: String) throws {
            let full = directory + relative
            var st = stat()
            guard lstat(full, &st) == 0 else { return }
            var line = "\(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
            if (st.st_mode & S_IFMT) == S_IFREG { line += " " + (try FileDigest.sha1(full).sha1) }
            result[relative.isEmpty ? "/" : relative] = line
            if (st.st_mode & S_IFMT) == S_IFDIR {
                for name in try Posix.listDirectory(Array(full.utf8)) { try walk(relative + "/" + String(decoding: name, as: UTF8.self)) }
            }
        }
        try walk("")
        return result
    }

    @Test(
        "an fsdelta path climbing out of the root exits 13 naming the line; nothing outside the root or in it changes",
        arguments: ["o\t/../outside/victim\t0\t0", "d\t/../outside/victim", "s\t/etc/../../outside\t0\t0\t040777"])
    func climbingFsdelta(line: String) throws {
        let s = try CLISandbox("hostile-system")
        try s.initialise()
        let root = s.path("root"), outside = s.path("outside"), crafted = s.path("crafted")
        try Posix.makeDirectories(root + "/etc", mode: 0o755)
        try Posix.makeDirectories(root + "/var/backups", mode: 0o755)
        try Posix.writeFileAtomically(root + "/etc/os-release", Array("ID=debian\nVERSION_ID=\"12\"\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/passwd", Array("root:x:0:0:root:/root:/bin/bash\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/group", Array("root:x:0:\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/app.conf", Array("setting = 1\n".utf8), mode: 0o644)
        try Posix.makeDirectories(outside, mode: 0o755)
        try Posix.writeFileAtomically(outside + "/victim", Array("precious\n".utf8), mode: 0o644)
        try Posix.makeDirectories(crafted + "/TKLBAM/etc", mode: 0o700)
        try Posix.makeDirectories(crafted + "/outside", mode: 0o755)
        try Posix.makeDirectories(crafted + "/etc", mode: 0o755)
        try Posix.writeFileAtomically(crafted + "/outside/victim", Array("overwritten\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(crafted + "/etc/app.conf", Array("setting = 9\n".utf8), mode: 0o644)
        for name in ["passwd", "group"] {
            try Posix.writeFileAtomically(crafted + "/TKLBAM/etc/" + name, try Posix.readFile(root + "/etc/" + name), mode: 0o600)
        }
        try Posix.writeFileAtomically(crafted + "/TKLBAM/fsdelta", Array("o\t/etc/app.conf\t0\t0\n\(line)\n".utf8), mode: 0o600)
        let stored = try s.bam(["backup", "--raw-upload", crafted, "--address", s.address])
        #expect(stored.status == 0, "\(stored.stderr)")

        let before = try Self.fingerprint(s.root)
        let r = try s.bam(["restore", "--root", root, "--conf-dir", s.path("conf"), "--address", s.address, "--json"])
        #expect(r.status == 13, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("fsdelta, line 2") && r.stdout.contains("'..' component"), "\(r.stdout)")
        var after = try Self.fingerprint(s.root)
        // The run's own bookkeeping: its lock and the metadata cache.
        for key in Array(after.keys) where key.hasPrefix("/registry") || key.hasPrefix("/cache") { after[key] = before[key] }
        for key in Array(before.keys) where key.hasPrefix("/registry") || key.hasPrefix("/cache") { after[key] = before[key] }
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        #expect(changed.isEmpty, "\(changed)")
    }
}
