import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Whole-system backup, restore and rollback on real Debian roots, run as
/// a user runs them: the built `bam`, throwaway registry, conf and target.
@Suite("bam backup/restore/restore-rollback on a Debian root", .serialized, .needs(.debianRoot))
struct SystemCommandTests {
    /// Paths a package manager run changes that a rollback cannot put back
    /// byte for byte (apt's lists and caches, dpkg's database and logs).
    static func isPackageManagerState(_ path: String) -> Bool {
        ["/var/lib/apt", "/var/cache/apt", "/var/lib/dpkg", "/var/log", "/var/cache/debconf", "/var/cache/ldconfig", "/etc/ld.so.cache"]
            .contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    static func passwdNames(_ root: String, _ file: String) throws -> [UInt32: String] {
        let kind: AccountFileKind = file == "passwd" ? .passwd : .group
        let db = try AccountFile.load(root + "/etc/" + file, kind: kind)
        var names: [UInt32: String] = [:]
        for entry in db.entries { if let id = db.id(of: entry) { names[id] = entry.name } }
        return names
    }

    static func stat(_ path: String) -> stat? {
        var st = Glibc.stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    @Test("a changed Debian root backs up, restores onto a fresh copy with other users, and rolls back exactly")
    func debianRoundTrip() throws {
        let s = try CLISandbox("system")
        let src = s.path("src"), tgt = s.path("tgt"), conf = s.path("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        try SystemDebianRoot.unpack(into: src)
        try SystemDebianRoot.unpack(into: tgt)
        try s.initialise()

        // The profile of the pristine install.
        let profile = try s.bam(["internal", "create-profile", "--root", src, s.registry.path + "/profile", "--json"])
        #expect(profile.status == 0, "\(profile.stderr)")
        #expect(try CLISandbox.json(profile.stdout)["profile_id"] as? String == "debian-12")

        // Change the source: users and groups, files with odd owners and
        // modes, an edit, an owner/mode change, a deletion, a package.
        try SystemDebianRoot.makeAdminChanges(src)
        try SystemDebianRoot.chroot(src, ["apt-get", "update", "-q"])
        try SystemDebianRoot.chroot(src, ["apt-get", "install", "-y", "-q", "hello"])

        // The target: a fresh copy where other users came first, taking
        // the uids and a gid the backup's users have.
        try SystemDebianRoot.chroot(tgt, ["useradd", "-m", "-u", "1000", "-U", "-p", "$6$carol$secret", "carol"])
        try SystemDebianRoot.chroot(tgt, ["useradd", "-m", "-u", "1001", "-U", "-p", "$6$dave$secret", "dave"])
        try SystemDebianRoot.chroot(tgt, ["groupadd", "-g", "1005", "ops"])
        let targetShadowBefore = try AccountFile.load(tgt + "/etc/shadow", kind: .shadow)

        let backup = try s.bam(["backup", "--root", src, "--conf-dir", conf, "--address", s.address, "--json"])
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        let backupSummary = try CLISandbox.json(backup.stdout)
        #expect(backupSummary["new_packages"] as? [String] == ["hello"])
        #expect((backupSummary["deleted"] as? Int ?? 0) >= 1)

        let before = try SystemRootIndex(root: tgt)
        let restore = try s.bam(["restore", "--root", tgt, "--conf-dir", conf, "--address", s.address, "--json"])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        let summary = try CLISandbox.json(restore.stdout)
        #expect((summary["installed_packages"] as? [String])?.contains("hello") == true, "\(summary)")
        #expect(CLISandbox.mode(tgt + RollbackStore.location) == 0o700)

        // Files: content, owner by name, mode; the deletion.
        try SystemDebianRoot.expectAdminChanges(from: src, on: tgt)
        #expect(try ProfileCreator.installedPackages(root: tgt).contains("hello"))

        // Users and groups: the target's own keep their ids and passwords;
        // the backup's move to free ids and keep theirs.
        let passwd = try AccountFile.load(tgt + "/etc/passwd", kind: .passwd)
        let shadow = try AccountFile.load(tgt + "/etc/shadow", kind: .shadow)
        let group = try AccountFile.load(tgt + "/etc/group", kind: .group)
        #expect(passwd.entry(named: "carol").flatMap(passwd.id) == 1000)
        #expect(passwd.entry(named: "dave").flatMap(passwd.id) == 1001)
        #expect(group.entry(named: "ops").flatMap(group.id) == 1005)
        let aliceID = passwd.entry(named: "alice").flatMap(passwd.id), bobID = passwd.entry(named: "bob").flatMap(passwd.id)
        #expect(aliceID != nil && aliceID != 1000 && aliceID != 1001)
        #expect(bobID != nil && bobID != 1000 && bobID != 1001 && bobID != aliceID)
        let webdev = group.entry(named: "webdev")
        #expect(webdev.flatMap(group.id) != nil && webdev.flatMap(group.id) != 1005)
        #expect(webdev?.fields[3] == Array("bob".utf8), "webdev keeps its member")
        #expect(shadow.entry(named: "carol") == targetShadowBefore.entry(named: "carol"), "carol's password entry is kept")
        #expect(shadow.entry(named: "dave") == targetShadowBefore.entry(named: "dave"))
        #expect(shadow.entry(named: "alice")?.fields[1] == Array("$6$alice$hash".utf8))
        #expect(Self.stat(tgt + "/home/alice/notes.txt")?.st_uid == aliceID)

        // Rollback: the target as it was before the restore.
        let installedFiles = Set(
            String(decoding: try Posix.readFile(tgt + "/var/lib/dpkg/info/hello.list"), as: UTF8.self)
                .split(separator: "\n").map(String.init))
        let rollback = try s.bam(["restore-rollback", "--root", tgt, "--json"])
        #expect(rollback.status == 0, "\(rollback.stdout)\(rollback.stderr)")
        #expect(!(try ProfileCreator.installedPackages(root: tgt).contains("hello")))
        let after = try SystemRootIndex(root: tgt)
        let differences = after.differences(
            from: before, ignore: Self.isPackageManagerState,
            ignoreDirectoryTimes: { installedFiles.contains($0) })
        #expect(differences.isEmpty, "after rollback:\n\(differences.prefix(40).joined(separator: "\n"))")
    }

    /// A tiny root: os-release, passwd, group and one config file.
    static func smallRoot(_ root: String, os: String) throws {
        try Posix.makeDirectories(root + "/etc", mode: 0o755)
        try Posix.writeFileAtomically(root + "/etc/os-release", Array(os.utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/passwd", Array("root:x:0:0:root:/root:/bin/bash\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/group", Array("root:x:0:\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(root + "/etc/app.conf", Array("a = 1\n".utf8), mode: 0o644)
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, root + "/etc/app.conf", &times, AT_SYMLINK_NOFOLLOW)
    }

    @Test("dump, --simulate, and exit 10 onto another appliance type unless --force")
    func smallRootCommands() throws {
        let s = try CLISandbox("system-small")
        let src = s.path("src"), tgt = s.path("tgt"), conf = s.path("conf")
        try Posix.makeDirectories(conf, mode: 0o755)
        try Self.smallRoot(src, os: "ID=debian\nVERSION_ID=12\n")
        try Self.smallRoot(tgt, os: "ID=ubuntu\nVERSION_ID=24.04\n")
        try Posix.writeFileAtomically(s.path("paths.conf"), Array("/etc\n-/etc/passwd*\n-/etc/group*\n".utf8), mode: 0o644)
        let created = try s.bam(["internal", "create-profile", "--root", src, "--dirindex-conf", s.path("paths.conf"), s.registry.path + "/profile"])
        #expect(created.status == 0, "\(created.stderr)")
        try Posix.writeFileAtomically(src + "/etc/app.conf", Array("a = 2\n".utf8), mode: 0o644)

        let simulated = try s.bam(["backup", "--root", src, "--conf-dir", conf, "--simulate"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(simulated.stdout.contains("/etc/app.conf") && simulated.stdout.contains("nothing was stored"))
        let dump = try s.bam(["backup", "--root", src, "--conf-dir", conf, "--dump", s.path("extract"), "--json"])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(Posix.fileExists(s.path("extract/TKLBAM/fsdelta")))

        let refused = try s.bam(["restore", "--root", tgt, "--conf-dir", conf, s.path("extract"), "--json"])
        #expect(refused.status == 10, "\(refused.stdout)\(refused.stderr)")
        #expect(try CLISandbox.json(refused.stdout)["code"] as? Int == 10)
        // On a terminal it asks instead: "n" keeps exit 10, "y" restores.
        let declined = try s.onTerminal(["restore", "--root", tgt, "--conf-dir", conf, s.path("extract"), "--simulate"], answer: "n")
        #expect(declined.status == 10, "\(declined.stdout)")
        #expect(declined.stdout.contains("Restore anyway?"))
        let accepted = try s.onTerminal(["restore", "--root", tgt, "--conf-dir", conf, s.path("extract"), "--simulate"], answer: "y")
        #expect(accepted.status == 0, "\(accepted.stdout)")
        #expect(accepted.stdout.contains("write  /etc/app.conf"))
        let plan = try s.bam(["restore", "--root", tgt, "--conf-dir", conf, s.path("extract"), "--force", "--simulate"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("write  /etc/app.conf"))
        #expect(try Posix.readFile(tgt + "/etc/app.conf") == Array("a = 1\n".utf8), "a simulation changes nothing")
        let forced = try s.bam(["restore", "--root", tgt, "--conf-dir", conf, s.path("extract"), "--force", "--json"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Posix.readFile(tgt + "/etc/app.conf") == Array("a = 2\n".utf8))
        let rollback = try s.bam(["restore-rollback", "--root", tgt])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try Posix.readFile(tgt + "/etc/app.conf") == Array("a = 1\n".utf8))

        // A backup with --address records it; the next backup and a plain
        // restore find it in the registry.
        try s.initialise()
        let stored = try s.bam(["backup", "--root", src, "--conf-dir", conf, "--address", s.address])
        #expect(stored.status == 0, "\(stored.stderr)\(stored.stdout)")
        #expect(try RegistryBackupAddress.load(s.registry) == s.address)
        try Posix.writeFileAtomically(src + "/etc/app.conf", Array("a = 3\n".utf8), mode: 0o644)
        let again = try s.bam(["backup", "--root", src, "--conf-dir", conf, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try CLISandbox.json(again.stdout)["kind"] as? String == "incremental")
        let plain = try s.bam(["restore", "--root", tgt, "--conf-dir", conf, "--force"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try Posix.readFile(tgt + "/etc/app.conf") == Array("a = 3\n".utf8))

        for command in [["backup"], ["restore"], ["restore-rollback"], ["internal", "create-profile"]] {
            let help = try s.bam(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--root"), "\(command) documents --root")
        }
    }
}

extension CLISandbox {
    /// Runs bam on a pseudo-terminal (through script(1)) and types `answer`.
    func onTerminal(_ arguments: [String], answer: String) throws -> Run {
        let quoted = ([try CLISandbox.binary()] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", quoted.joined(separator: " "), "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["BAM_REGISTRY"] = registry.path
        env["BAM_CACHE"] = root + "/cache"
        process.environment = env
        let out = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = input
        try process.run()
        usleep(300_000)
        input.fileHandleForWriting.write(Data((answer + "\n").utf8))
        let data = out.fileHandleForReading.readDataToEndOfFile()
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }
}
