import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

extension SystemDebianRoot {
    /// What an administrator does to a fresh root, which a backup must carry
    /// and a restore bring back: users and a group (uids the target may
    /// already use), files with odd owners and modes (setgid directory, a
    /// setuid program, a root-only file), a symlink, an edit, a mode change
    /// and a deletion of profile files. The local and the Hub round trips
    /// start from the same changes so that their results compare.
    static func makeAdminChanges(_ src: String) throws {
        try SystemDebianRoot.chroot(src, ["groupadd", "-g", "1005", "webdev"])
        try SystemDebianRoot.chroot(src, ["useradd", "-m", "-u", "1000", "-U", "-p", "$6$alice$hash", "alice"])
        try SystemDebianRoot.chroot(src, ["useradd", "-m", "-u", "1001", "-U", "-G", "webdev", "-p", "$6$bob$hash", "bob"])
        try "alice's notes\n".write(toFile: src + "/home/alice/notes.txt", atomically: false, encoding: .utf8)
        chown(src + "/home/alice/notes.txt", 1000, 1000); chmod(src + "/home/alice/notes.txt", 0o600)
        try Posix.makeDirectories(src + "/var/www/html", mode: 0o755)
        chown(src + "/var/www/html", 1001, 1005); chmod(src + "/var/www/html", 0o2775)
        try "<h1>hello</h1>\n".write(toFile: src + "/var/www/html/index.html", atomically: false, encoding: .utf8)
        chown(src + "/var/www/html/index.html", 1001, 1005); chmod(src + "/var/www/html/index.html", 0o640)
        try "root only\n".write(toFile: src + "/root/secret.txt", atomically: false, encoding: .utf8)
        chmod(src + "/root/secret.txt", 0o400)
        try Posix.makeDirectories(src + "/usr/local/bin", mode: 0o755)
        try "#!/bin/sh\necho tool\n".write(toFile: src + "/usr/local/bin/tool", atomically: false, encoding: .utf8)
        chmod(src + "/usr/local/bin/tool", 0o4750); chown(src + "/usr/local/bin/tool", 0, 1005)
        symlink("tool", src + "/usr/local/bin/tool-link")
        try "changed by the admin\n".write(toFile: src + "/etc/issue", atomically: false, encoding: .utf8)
        chmod(src + "/etc/bash.bashrc", 0o600)
        #expect(unlink(src + "/etc/issue.net") == 0, "the profile has /etc/issue.net")
    }

    /// Expects `tgt` to hold what `makeAdminChanges` did to `src`: each
    /// changed path with its mode, owner and group by name (uids may differ)
    /// and content, and the deletion.
    static func expectAdminChanges(from src: String, on tgt: String) throws {
        let srcUsers = try SystemCommandTests.passwdNames(src, "passwd"), srcGroups = try SystemCommandTests.passwdNames(src, "group")
        let tgtUsers = try SystemCommandTests.passwdNames(tgt, "passwd"), tgtGroups = try SystemCommandTests.passwdNames(tgt, "group")
        for path in [
            "/home/alice/notes.txt", "/var/www/html", "/var/www/html/index.html", "/root/secret.txt",
            "/usr/local/bin/tool", "/usr/local/bin/tool-link", "/etc/issue", "/etc/bash.bashrc", "/home/bob",
        ] {
            guard let a = SystemCommandTests.stat(src + path), let b = SystemCommandTests.stat(tgt + path) else {
                Issue.record("\(path) missing on the source or the target")
                continue
            }
            #expect(a.st_mode == b.st_mode, "mode of \(path): \(String(a.st_mode, radix: 8)) vs \(String(b.st_mode, radix: 8))")
            #expect(srcUsers[a.st_uid] == tgtUsers[b.st_uid], "owner of \(path)")
            #expect(srcGroups[a.st_gid] == tgtGroups[b.st_gid], "group of \(path)")
            if (a.st_mode & S_IFMT) == S_IFREG {
                #expect(try Posix.readFile(src + path) == Posix.readFile(tgt + path), "content of \(path)")
            }
        }
        #expect(!Posix.fileExists(tgt + "/etc/issue.net"), "the deletion is applied")
    }
}
