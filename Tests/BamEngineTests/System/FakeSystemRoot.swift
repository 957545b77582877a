import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A small synthetic system for whole-system tests without Debian: a
/// root with os-release, passwd/group/shadow/gshadow, a few files under
/// /etc and /srv; and around it a registry, a conf directory and a
/// profile made from the pristine root (path list: /etc minus passwd*
/// and group*, shadow*, and /srv).
final class FakeSystemRoot {
    let tree: TestTree
    var base: String { tree.root }
    var root: String { base + "/root" }
    var registry: Registry { Registry(path: base + "/registry") }
    var conf: String { base + "/conf" }
    var cache: String { base + "/cache" }

    static let profileConf = "/etc\n-/etc/passwd*\n-/etc/group*\n/srv\n"

    init(_ label: String, osRelease: String = "ID=debian\nVERSION_ID=\"12\"\n") throws {
        tree = try TestTree(label)
        try FakeSystemRoot.populate(root, osRelease: osRelease)
        try Posix.makeDirectories(conf, mode: 0o755)
        try Posix.makeDirectories(registry.path, mode: 0o700)
        try Posix.makeDirectories(cache, mode: 0o700)
        let profile = registry.path + "/profile"
        try Posix.makeDirectories(profile, mode: 0o755)
        try ProfileCreator(root: root, conf: try DirIndexConf.parse(Self.profileConf, file: "test")).create(in: profile)
    }

    /// A pristine root (what a fresh install of the same appliance has).
    static func populate(_ root: String, osRelease: String = "ID=debian\nVERSION_ID=\"12\"\n") throws {
        func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
            try Posix.makeDirectories((root + path as NSString).deletingLastPathComponent, mode: 0o755)
            try Posix.writeFileAtomically(root + path, Array(text.utf8), mode: mode)
            var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, root + path, &times, AT_SYMLINK_NOFOLLOW)
        }
        try write("/etc/os-release", osRelease)
        try write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
        try write("/etc/group", "root:x:0:\ndaemon:x:1:\n")
        try write("/etc/shadow", "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n", mode: 0o640)
        try write("/etc/gshadow", "root:*::\ndaemon:*::\n", mode: 0o640)
        try write("/etc/app.conf", "setting = 1\n")
        try write("/etc/old.conf", "obsolete\n")
        try write("/etc/mode.conf", "mode changes\n")
        try write("/srv/data/readme", "data\n")
        try Posix.makeDirectories(root + "/var/backups", mode: 0o755)
    }

    /// A second pristine root beside this one (a restore target).
    func makeTarget(_ name: String = "target", osRelease: String = "ID=debian\nVERSION_ID=\"12\"\n") throws -> String {
        let target = base + "/" + name
        try FakeSystemRoot.populate(target, osRelease: osRelease)
        return target
    }

    /// Changes the root as an admin would: an edit, a new user and file
    /// owned by it, an owner/mode change, a deletion.
    func change() throws {
        try Posix.writeFileAtomically(root + "/etc/app.conf", Array("setting = 2\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(
            root + "/etc/passwd",
            Array("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000::/srv/alice:/bin/sh\n".utf8), mode: 0o644
        )
        try Posix.writeFileAtomically(root + "/etc/group", Array("root:x:0:\ndaemon:x:1:\nalice:x:1000:\n".utf8), mode: 0o644)
        try Posix.writeFileAtomically(
            root + "/etc/shadow", Array("root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nalice:$6$a$b:19000:0:99999:7:::\n".utf8), mode: 0o640)
        try Posix.makeDirectories(root + "/srv/alice", mode: 0o750)
        chown(root + "/srv/alice", 1000, 1000)
        try Posix.writeFileAtomically(root + "/srv/alice/notes", Array("alice\n".utf8), mode: 0o600)
        chown(root + "/srv/alice/notes", 1000, 1000)
        chmod(root + "/etc/mode.conf", 0o600)
        unlink(root + "/etc/old.conf")
    }

    func backupOptions() -> SystemBackupOptions {
        var o = SystemBackupOptions(registry: registry)
        o.root = root
        o.confDirectory = conf
        o.cacheRoot = cache
        return o
    }

    func restoreOptions(target: String, extract: String) -> SystemRestoreOptions {
        var o = SystemRestoreOptions(registry: registry)
        o.root = target
        o.confDirectory = conf
        o.cacheRoot = cache
        o.source = .extract(extract)
        return o
    }

    /// Writes an executable hook into conf/hooks.d.
    func hook(_ name: String, _ script: String) throws {
        try Posix.makeDirectories(conf + "/hooks.d", mode: 0o755)
        try Posix.writeFileAtomically(conf + "/hooks.d/" + name, Array(("#!/bin/sh\n" + script).utf8), mode: 0o755)
    }
}
