import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

@Suite("whole-system restore and rollback on synthetic roots")
struct SystemRestoreTests {
    /// A changed system dumped to an extract directory.
    static func dumped(_ label: String) throws -> (FakeSystemRoot, String) {
        let system = try FakeSystemRoot(label)
        try system.change()
        var options = system.backupOptions()
        options.dumpDirectory = system.base + "/extract"
        _ = try SystemBackup(options: options, passphrase: { [] }).run()
        return (system, system.base + "/extract")
    }

    @Test("--simulate gives the plan: files, deletions, users, uid/gid maps; nothing changes")
    func simulate() throws {
        let (system, extract) = try Self.dumped("rsim")
        let target = try system.makeTarget()
        // A target-only user holds uid and gid 1000.
        try Posix.writeFileAtomically(
            target + "/etc/passwd",
            Array("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\ncarol:x:1000:1000::/home/carol:/bin/sh\n".utf8),
            mode: 0o644)
        try Posix.writeFileAtomically(target + "/etc/group", Array("root:x:0:\ndaemon:x:1:\ncarol:x:1000:\n".utf8), mode: 0o644)
        let before = try TreeSnapshot(target)
        var options = system.restoreOptions(target: target, extract: extract)
        options.simulate = true
        let result = try SystemRestore(options: options, passphrase: { [] }).run()
        #expect(result.plan.overwrites.map(\.description) == ["/etc/app.conf", "/srv/alice/notes"])
        #expect(result.plan.deletions.map(\.description) == ["/etc/old.conf"])
        #expect(result.plan.newUsers == ["alice"])
        #expect(result.plan.users?.uidMap == [1000: 1001])
        #expect(result.plan.users?.gidMap == [1000: 1001])
        #expect(try TreeSnapshot(target) == before, "a simulation changes nothing")
    }

    @Test("restore applies files with mapped owners, modes and deletions; rollback returns the exact tree")
    func restoreAndRollback() throws {
        let (system, extract) = try Self.dumped("rapply")
        let target = try system.makeTarget()
        try Posix.writeFileAtomically(
            target + "/etc/passwd",
            Array("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\ncarol:x:1000:1000::/home/carol:/bin/sh\n".utf8),
            mode: 0o644)
        try Posix.writeFileAtomically(target + "/etc/group", Array("root:x:0:\ndaemon:x:1:\ncarol:x:1000:\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(target + "/etc/shadow", Array("root:*:19000:0:99999:7:::\ncarol:$6$carol$x:19000:0:99999:7:::\n".utf8), mode: 0o640)
        let before = try TreeSnapshot(target)

        let result = try SystemRestore(options: system.restoreOptions(target: target, extract: extract), passphrase: { [] }).run()
        #expect(result.filesWritten == 2 && result.deleted == 1)
        #expect(try Posix.readFile(target + "/etc/app.conf") == Array("setting = 2\n".utf8))
        #expect(!Posix.fileExists(target + "/etc/old.conf"))
        var st = stat()
        lstat(target + "/etc/mode.conf", &st)
        #expect(st.st_mode & 0o7777 == 0o600)
        lstat(target + "/srv/alice/notes", &st)
        #expect(st.st_uid == 1001 && st.st_gid == 1001 && st.st_mode & 0o7777 == 0o600, "alice's file follows her new ids")
        lstat(target + "/srv/alice", &st)
        #expect(st.st_uid == 1001 && st.st_mode & 0o7777 == 0o750)
        let shadow = try AccountFile.load(target + "/etc/shadow", kind: .shadow)
        #expect(shadow.entry(named: "carol")?.fields[1] == Array("$6$carol$x".utf8), "the target-only user keeps her password")
        #expect(shadow.entry(named: "alice")?.fields[1] == Array("$6$a$b".utf8))
        let passwd = try AccountFile.load(target + "/etc/passwd", kind: .passwd)
        #expect(passwd.entry(named: "alice").flatMap(passwd.id) == 1001)
        let store = RollbackStore(root: target)
        lstat(store.path, &st)
        #expect(st.st_mode & 0o7777 == 0o700)

        let rollback = try SystemRollback(root: target, registry: system.registry).run()
        #expect(rollback.removed >= 2)
        let differences = try TreeSnapshot(target).differences(from: before)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        #expect(throws: BamError.self) { try SystemRollback(root: target, registry: system.registry).run() }
    }

    @Test("restore limits keep paths out")
    func limits() throws {
        let (system, extract) = try Self.dumped("rlimits")
        let target = try system.makeTarget()
        var options = system.restoreOptions(target: target, extract: extract)
        options.limits = [try Overrides.parseLimit("-/srv")]
        let result = try SystemRestore(options: options, passphrase: { [] }).run()
        #expect(result.plan.overwrites.map(\.description) == ["/etc/app.conf"])
        #expect(!Posix.fileExists(target + "/srv/alice"))
    }

    @Test("restoring onto another appliance type needs force")
    func incompatible() throws {
        let (system, extract) = try Self.dumped("rincompat")
        let target = try system.makeTarget(osRelease: "ID=ubuntu\nVERSION_ID=\"24.04\"\n")
        let options = system.restoreOptions(target: target, extract: extract)
        #expect(
            throws: BamError.incompatible(
                "the backup is of a debian-12 system and \(target) is ubuntu-24.04: restoring onto a different appliance type needs --force")
        ) {
            try SystemRestore(options: options, passphrase: { [] }).run()
        }
        #expect(!Posix.fileExists(RollbackStore(root: target).path), "nothing was changed")
        var forced = options
        forced.force = true
        _ = try SystemRestore(options: forced, passphrase: { [] }).run()
        #expect(try Posix.readFile(target + "/etc/app.conf") == Array("setting = 2\n".utf8))
    }

    @Test("the package plan skips installed and blacklisted packages")
    func packagePlan() throws {
        let tree = try TestTree("pkgplan")
        try tree.file("var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\n\nPackage: old\nStatus: deinstall ok config-files\n")
        let plan = try PackageInstaller(root: tree.root, progress: SilentProgress()).plan(["bash", "old", "linux-image-amd64", "vmware-tools-foo", "hello"])
        #expect(plan.alreadyInstalled == ["bash"])
        #expect(plan.blacklisted == ["linux-image-amd64", "vmware-tools-foo"])
        #expect(plan.toInstall == ["hello", "old"])
    }

    @Test("restore hooks run pre, inspect in the extras, post; a failure runs error; the lock is shared with backups")
    func hooksAndLock() throws {
        let (system, extract) = try Self.dumped("rhooks")
        let target = try system.makeTarget()
        let log = system.base + "/hook.log"
        try system.hook(
            "50-log",
            """
            echo "$1 $2" >> \(log)
            if [ "$2" = inspect ] && [ -f fsdelta ] && [ -f backup-conf ]; then echo "inspect sees the extras" >> \(log); fi
            [ -e \(system.base)/fail-$2 ] && exit 1
            exit 0
            """)
        let options = system.restoreOptions(target: target, extract: extract)
        let held = try RunLock(path: system.registry.path + "/run.lock", purpose: "backup or restore")
        #expect(throws: BamError.self) { try SystemRestore(options: options, passphrase: { [] }).run() }
        held.release()
        #expect(!Posix.fileExists(log), "nothing ran while locked")

        try Posix.writeFileAtomically(system.base + "/fail-post", [], mode: 0o644)
        #expect(throws: BamError.self) { try SystemRestore(options: options, passphrase: { [] }).run() }
        #expect(
            String(decoding: try Posix.readFile(log), as: UTF8.self) == """
                restore pre
                restore inspect
                inspect sees the extras
                restore post
                restore error

                """)
    }

    @Test("a path behind a symlink in the target is skipped with a warning, never written through")
    func symlinkedParent() throws {
        let (system, extract) = try Self.dumped("rsymlink")
        let target = try system.makeTarget()
        let outside = system.base + "/outside"
        try Posix.makeDirectories(outside, mode: 0o755)
        try Posix.removeTree(Array((target + "/srv").utf8))
        #expect(symlink(outside, target + "/srv") == 0)
        let result = try SystemRestore(options: system.restoreOptions(target: target, extract: extract), passphrase: { [] }).run()
        #expect(try Posix.listDirectory(Array(outside.utf8)).isEmpty, "nothing was written outside the root")
        #expect(result.warnings.contains { $0.contains("not restored") && $0.contains("/srv/alice/notes") }, "\(result.warnings)")
        #expect(try Posix.readFile(target + "/etc/app.conf") == Array("setting = 2\n".utf8), "the rest is restored")
    }
}
