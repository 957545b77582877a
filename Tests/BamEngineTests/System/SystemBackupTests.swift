import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

@Suite("whole-system backup on a synthetic root")
struct SystemBackupTests {
    @Test("--simulate lists the changed files and writes nothing")
    func simulate() throws {
        let system = try FakeSystemRoot("sim")
        try system.change()
        var options = system.backupOptions()
        options.simulate = true
        let result = try SystemBackup(options: options, passphrase: { throw BamError.invalid("no secret needed") }).run()
        #expect(result.overlayPaths == ["/etc/app.conf", "/etc/shadow", "/srv/alice/notes"])
        #expect(result.profileID == "debian-12")
        #expect(result.delta?.deleted == 1)
        #expect(result.delta?.statChanged == 2, "/etc/mode.conf and the new /srv/alice")
        #expect(result.archive == nil)
        #expect(try Posix.listDirectory(Array(system.cache.utf8)).isEmpty, "scratch is cleaned up")
    }

    @Test(
        "limits after -- and the overrides file narrow the backup",
        arguments: [
            ("cli", ["-/srv"]), ("overrides", []),
        ])
    func limits(label: String, cli: [String]) throws {
        let system = try FakeSystemRoot("limits-\(label)")
        try system.change()
        if cli.isEmpty { try Posix.writeFileAtomically(system.conf + "/overrides", Array("# no data\n-/srv\n".utf8), mode: 0o644) }
        var options = system.backupOptions()
        options.simulate = true
        options.limits = try cli.map(Overrides.parseLimit)
        let result = try SystemBackup(options: options, passphrase: { [] }).run()
        #expect(result.overlayPaths == ["/etc/app.conf", "/etc/shadow"])
    }

    @Test("--dump writes the extras in the original's layout and the changed files")
    func dump() throws {
        let system = try FakeSystemRoot("dump")
        try system.change()
        var options = system.backupOptions()
        options.dumpDirectory = system.base + "/dump"
        _ = try SystemBackup(options: options, passphrase: { [] }).run()
        let extras = system.base + "/dump/TKLBAM"
        for name in ["fsdelta", "fsdelta-olist", "newpkgs", "backup-conf", "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"] {
            #expect(Posix.fileExists(extras + "/" + name), "\(name)")
        }
        let fsdelta = String(decoding: try Posix.readFile(extras + "/fsdelta"), as: UTF8.self)
        #expect(fsdelta.contains("o\t/etc/app.conf\t0\t0\n"))
        #expect(fsdelta.contains("s\t/etc/mode.conf\t0\t0\t0100600\n"))
        #expect(fsdelta.contains("d\t/etc/old.conf\n"))
        #expect(String(decoding: try Posix.readFile(extras + "/fsdelta-olist"), as: UTF8.self) == "/etc/app.conf\n/etc/shadow\n/srv/alice/notes\n")
        let conf = try BackupConfRecord.load(extras + "/backup-conf")
        #expect(conf.profileID == "debian-12" && !conf.skipFiles)
        #expect(try Posix.readFile(system.base + "/dump/srv/alice/notes") == Array("alice\n".utf8))
        var st = stat()
        lstat(system.base + "/dump/srv/alice/notes", &st)
        #expect(st.st_uid == 1000 && st.st_mode & 0o7777 == 0o600)
        lstat(system.base + "/dump/srv/alice", &st)
        #expect(st.st_uid == 1000 && st.st_mode & 0o7777 == 0o750, "parents keep their owner and mode")
    }

    @Test("hooks run pre, inspect in the extras directory, post; a failing hook aborts and runs error")
    func hooks() throws {
        let system = try FakeSystemRoot("hooks")
        let log = system.base + "/hook.log"
        try system.hook(
            "10-log",
            """
            echo "$1 $2 $BAM_PROFILE_ID skip=$BAM_SKIP_FILES$BAM_SKIP_PACKAGES$BAM_SKIP_DATABASE" >> \(log)
            if [ "$2" = inspect ]; then [ -f fsdelta ] && echo "inspect sees fsdelta" >> \(log); fi
            if [ "$2" = error ]; then echo "error: $BAM_ERROR" >> \(log); fi
            [ -e \(system.base)/fail-$2 ] && exit 3
            exit 0
            """)
        var options = system.backupOptions()
        options.simulate = true
        options.skipPackages = true
        _ = try SystemBackup(options: options, passphrase: { [] }).run()
        #expect(
            String(decoding: try Posix.readFile(log), as: UTF8.self) == """
                backup pre debian-12 skip=010
                backup inspect debian-12 skip=010
                inspect sees fsdelta
                backup post debian-12 skip=010

                """)
        unlink(log)
        try Posix.writeFileAtomically(system.base + "/fail-inspect", [], mode: 0o644)
        #expect(throws: BamError.self) { try SystemBackup(options: options, passphrase: { [] }).run() }
        let text = String(decoding: try Posix.readFile(log), as: UTF8.self)
        #expect(text.contains("backup error debian-12"))
        #expect(text.contains("error: hook"), "the error state gets the failure: \(text)")
        #expect(!text.contains("backup post"))
    }

    @Test("a second run while one holds the lock fails with locked")
    func lock() throws {
        let system = try FakeSystemRoot("lock")
        let held = try RunLock(path: system.registry.path + "/run.lock", purpose: "backup or restore")
        var options = system.backupOptions()
        options.simulate = true
        do {
            _ = try SystemBackup(options: options, passphrase: { [] }).run()
            Issue.record("the backup ran while the lock was held")
        } catch let error as BamError {
            guard case .locked(let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("pid \(getpid())"))
        }
        held.release()
        _ = try SystemBackup(options: options, passphrase: { [] }).run()
    }

    @Test("a conf file with an unknown key fails naming the line; no profile fails with the way out")
    func configurationErrors() throws {
        let system = try FakeSystemRoot("conf")
        try Posix.writeFileAtomically(system.conf + "/conf", Array("volsize 10\nbogus 1\n".utf8), mode: 0o644)
        var options = system.backupOptions()
        options.simulate = true
        #expect(throws: BamError.invalid("\(system.conf)/conf:2: unknown option 'bogus' (known: \(BamConf.keys.joined(separator: ", ")))")) {
            try SystemBackup(options: options, passphrase: { [] }).run()
        }
        unlink(system.conf + "/conf")
        try Posix.removeTree(Array((system.registry.path + "/profile").utf8))
        do {
            _ = try SystemBackup(options: options, passphrase: { [] }).run()
            Issue.record("ran without a profile")
        } catch {
            #expect("\(error)".contains("create-profile"))
        }
        options.forceProfile = "empty"
        let result = try SystemBackup(options: options, passphrase: { [] }).run()
        #expect(result.overlayPaths.contains("/etc/app.conf") && result.overlayPaths.contains("/srv/data/readme"))
    }
}
