import Foundation
import Testing
@testable import BamEngine

/// The original client's extras carry passwd and group only; its shadow
/// and gshadow travel as overlay files. A restore of such a backup keeps
/// the passwords of the users it merges, and reads those overlay files as
/// hostile as any other part of the backup.
@Suite("bam restore of the original client's extract layout")
struct OriginalExtrasRestoreTests {
    /// A target root with a user of its own, and an extract in the
    /// original's layout bringing a new user whose password is only in
    /// the overlay's /etc/shadow.
    static func layout(_ s: CLISandbox) throws -> (root: String, extract: String) {
        let root = s.path("root"), extract = s.path("extract")
        func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
            try Posix.makeDirectories((path as NSString).deletingLastPathComponent, mode: 0o755)
            try Posix.writeFileAtomically(path, Array(text.utf8), mode: mode)
        }
        try write(root + "/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        try write(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ncarol:x:1000:1000::/home/carol:/bin/sh\n")
        try write(root + "/etc/group", "root:x:0:\ncarol:x:1000:\n")
        try write(root + "/etc/shadow", "root:$6$root$target:19000:0:99999:7:::\ncarol:$6$carol$target:19000:0:99999:7:::\n", mode: 0o640)
        try write(root + "/etc/gshadow", "root:*::\ncarol:!::\n", mode: 0o640)

        try write(extract + "/TKLBAM/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n", mode: 0o600)
        try write(extract + "/TKLBAM/etc/group", "root:x:0:\nalice:x:1000:\n", mode: 0o600)
        try write(extract + "/TKLBAM/fsdelta", "o\t/etc/shadow\t0\t42\no\t/etc/gshadow\t0\t42\n", mode: 0o600)
        try write(extract + "/TKLBAM/fsdelta-olist", "/etc/shadow\n/etc/gshadow\n", mode: 0o600)
        try write(
            extract + "/etc/shadow", "root:$6$root$backup:19000:0:99999:7:::\nalice:$6$alice$backup:19001:0:99999:7:::\n", mode: 0o640)
        try write(extract + "/etc/gshadow", "root:*::\nalice:!:alice-admin:\n", mode: 0o640)
        return (root, extract)
    }

    @Test("a merged user's password and group password come from the overlay's shadow files; the target's own users keep theirs")
    func passwordsFromOverlay() throws {
        let s = try CLISandbox("original-extras")
        try s.initialise()
        let (root, extract) = try Self.layout(s)
        let r = try s.bam(["restore", extract, "--root", root, "--conf-dir", s.path("conf"), "--skip-packages", "--skip-database", "--json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let shadow = try AccountFile.load(root + "/etc/shadow", kind: .shadow)
        #expect(shadow.entry(named: "alice")?.fields[1] == Array("$6$alice$backup".utf8), "\(shadow)")
        #expect(shadow.entry(named: "carol")?.fields[1] == Array("$6$carol$target".utf8))
        let gshadow = try AccountFile.load(root + "/etc/gshadow", kind: .gshadow)
        #expect(gshadow.entry(named: "alice")?.fields[2] == Array("alice-admin".utf8))
        let passwd = try AccountFile.load(root + "/etc/passwd", kind: .passwd)
        #expect(passwd.entry(named: "alice").flatMap(passwd.id).map { $0 != 1000 } == true, "alice moves off carol's uid")
    }

    @Test("an overlay shadow that is a symlink out of the extract is refused (13); the root is unchanged")
    func symlinkedShadowRefused() throws {
        let s = try CLISandbox("original-extras-hostile")
        try s.initialise()
        let (root, extract) = try Self.layout(s)
        try Posix.writeFileAtomically(s.path("outside-shadow"), Array("alice:$6$stolen$hash:1:0:99999:7:::\n".utf8), mode: 0o600)
        unlink(extract + "/etc/shadow")
        #expect(symlink(s.path("outside-shadow"), extract + "/etc/shadow") == 0)
        let before = try Posix.readFile(root + "/etc/shadow")
        let r = try s.bam(["restore", extract, "--root", root, "--conf-dir", s.path("conf"), "--skip-packages", "--skip-database", "--json"])
        #expect(r.status == 13, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("etc/shadow"), "\(r.stdout)")
        #expect(try Posix.readFile(root + "/etc/shadow") == before)
        #expect(!Posix.fileExists(root + RollbackStore.location))
    }
}
