import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// The SFTP backend against a real OpenSSH sshd on 127.0.0.1: the storage
/// contract every backend keeps, key logins, and host key checking.
@Suite(.serialized, .needs(.sftp)) struct SFTPBackendTests {
    @Test func passesTheStorageConformanceSuite() throws {
        let target = try SFTPTestTarget("sftp-conformance")
        // A directory that does not exist yet, with a space and unicode in its name.
        let backend = try target.backend("store/hôte 1")
        try backend.preflight()
        #expect(Posix.fileExists(target.sshd.dataPath("store/hôte 1")), "preflight makes the directory")
        // OpenSSH renames by link and unlink: a rename never replaces, so create is exclusive.
        try StorageConformance.run(backend, many: 120, createIsExclusive: true)
        let left = try FileManager.default.contentsOfDirectory(atPath: target.sshd.dataPath("store/hôte 1"))
        #expect(left.isEmpty, "no temporary or probe file stays on the server: \(left)")
    }

    /// `sftp://host/dir` is relative to the login's starting (home)
    /// directory, as in duplicity; `sftp://host//dir` is absolute.
    @Test func relativeAddressesStartInTheHomeDirectory() throws {
        let target = try SFTPTestTarget("sftp-relative")
        let backend = try StorageRegistry.open(address: target.sshd.relativeAddress("rel dir/sub"), options: target.options())
        let local = target.tree.area("local")
        try Posix.writeFileAtomically(local, Array("relative".utf8), mode: 0o600)
        try backend.put(name: "object", fromFile: local)
        #expect(try Posix.readFile(target.sshd.dataPath("rel dir/sub/object")) == Array("relative".utf8))
        #expect(try backend.list() == [StoredObject(name: "object", size: 8)])
        #expect(try backend.head(name: "object")?.size == 8)
        #expect(try backend.create(name: "lock", contents: [1]))
        #expect(try !backend.create(name: "lock", contents: [2]))
        try backend.delete(name: "object")
        try backend.delete(name: "lock")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.sshd.dataPath("rel dir/sub")).isEmpty)
    }

    @Test func putNeverShowsAPartialObjectAndLeftoversAreCleaned() throws {
        let target = try SFTPTestTarget("sftp-partial")
        let backend = try target.backend("partial")
        try backend.preflight()
        let directory = target.sshd.dataPath("partial")
        // What a killed upload leaves: a hidden partial file.
        try Posix.writeFileAtomically(directory + "/.duplicity-full.20260101T000000Z.vol1.difftar.gpg.bam-part", Array("half".utf8), mode: 0o600)
        try Posix.writeFileAtomically(directory + "/.bam-lock.bam-new-1-2", Array("x".utf8), mode: 0o600)
        #expect(try backend.list().isEmpty, "hidden partial files are not objects")
        #expect(try backend.abortUnfinishedUploads() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)

        // A put over an existing object replaces it whole.
        let local = target.tree.area("local")
        try Posix.writeFileAtomically(local, [UInt8](repeating: 7, count: 3 << 20), mode: 0o600)
        try backend.put(name: "volume", fromFile: local)
        try Posix.writeFileAtomically(local, [UInt8](repeating: 9, count: 1 << 20), mode: 0o600)
        try backend.put(name: "volume", fromFile: local)
        #expect(try backend.head(name: "volume")?.size == 1 << 20)
        #expect(try Posix.readFile(directory + "/volume") == [UInt8](repeating: 9, count: 1 << 20))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["volume"])
        #expect(BamS3Sandbox.mode(directory + "/volume") == 0o600, "objects are private to the login")

        // Ranges fetched in place, as a restore does in parallel.
        let whole = target.tree.area("whole")
        try Posix.writeFileAtomically(whole, [UInt8](repeating: 0, count: 1 << 20), mode: 0o600)
        #expect(backend.fetchesRangesInPlace)
        try backend.get(name: "volume", range: 1000..<5000, intoFileAt: whole)
        let got = try Posix.readFile(whole)
        #expect(got[999] == 0 && got[1000] == 9 && got[4999] == 9 && got[5000] == 0)
    }

    @Test func unknownHostKeyIsRefusedUntilAcceptedThenPinned() throws {
        let target = try SFTPTestTarget("sftp-unknown-host", knowsHost: false)
        let fingerprint = try target.hostFingerprint()
        #expect {
            try target.backend("data").preflight()
        } throws: { error in
            let text = "\(error)"
            return text.contains("[127.0.0.1]:\(target.sshd.port)") && text.contains("ssh-ed25519") && text.contains(fingerprint)
                && text.contains("not known") && text.contains("--accept-host-key")
        }
        #expect(!Posix.fileExists(target.sshd.dataPath("data")), "nothing was written on the server")
        #expect(!Posix.fileExists(target.knownHosts), "nothing was recorded")

        try target.backend("data", acceptHostKey: true).preflight()
        let recorded = String(decoding: try Posix.readFile(target.knownHosts), as: UTF8.self)
        #expect(recorded == target.sshd.knownHostsLine, "\(recorded)")
        #expect(BamS3Sandbox.mode(target.knownHosts) == 0o600)
        // Known now: no option needed, and accepting again adds nothing.
        try target.backend("data").preflight()
        try target.backend("data", acceptHostKey: true).preflight()
        #expect(String(decoding: try Posix.readFile(target.knownHosts), as: UTF8.self) == recorded)

        // A known_hosts file that cannot be written: the key is not used unrecorded.
        let blocker = target.tree.area("blocker")
        try Posix.writeFileAtomically(blocker, [], mode: 0o600)
        try Posix.writeFileAtomically(target.confDirectory + "/conf", Array("sftp-known-hosts \(blocker)/known_hosts\n".utf8), mode: 0o644)
        #expect {
            try target.backend("data", acceptHostKey: true).preflight()
        } throws: { error in
            "\(error)".contains("could not record the host key in \(blocker)/known_hosts")
        }
    }

    @Test func changedHostKeyIsRefusedEvenWhenAcceptingNewKeys() throws {
        let target = try SFTPTestTarget("sftp-changed-host", knowsHost: false)
        let other = target.tree.area("other_host_key")
        try SSHDLaunch.keygen(other)
        let stale = "[127.0.0.1]:\(target.sshd.port) \(try SSHDLaunch.publicKey(other + ".pub"))\n"
        try Posix.writeFileAtomically(target.knownHosts, Array(stale.utf8), mode: 0o600)
        let fingerprint = try target.hostFingerprint()
        for accept in [false, true] {
            #expect {
                try target.backend("data", acceptHostKey: accept).preflight()
            } throws: { error in
                let text = "\(error)"
                return text.contains("CHANGED") && text.contains(fingerprint) && text.contains("ssh-ed25519")
                    && text.contains("[127.0.0.1]:\(target.sshd.port)")
            }
        }
        #expect(String(decoding: try Posix.readFile(target.knownHosts), as: UTF8.self) == stale, "the recorded key is never replaced")
        #expect(!Posix.fileExists(target.sshd.dataPath("data")))
    }

    @Test func keyAndKnownHostsFromConfAndRefusedKeys() throws {
        let target = try SFTPTestTarget("sftp-conf")
        // The conf names both files, elsewhere than the registry.
        let keys = target.tree.area("keys")
        try Posix.makeDirectories(keys, mode: 0o700)
        try Posix.writeFileAtomically(keys + "/bam_key", try Posix.readFile(target.sshd.clientKey), mode: 0o600)
        try Posix.writeFileAtomically(keys + "/hosts", Array(target.sshd.knownHostsLine.utf8), mode: 0o600)
        try Posix.removeTree(Array(target.sftpDirectory.utf8))
        try Posix.writeFileAtomically(
            target.confDirectory + "/conf", Array("sftp-key-file \(keys)/bam_key\nsftp-known-hosts \(keys)/hosts\n".utf8), mode: 0o644)
        try target.backend("conf").preflight()

        // A key the server does not know: refused, naming the user and the key.
        try SSHDLaunch.keygen(keys + "/stranger")
        try Posix.writeFileAtomically(
            target.confDirectory + "/conf", Array("sftp-key-file \(keys)/stranger\nsftp-known-hosts \(keys)/hosts\n".utf8), mode: 0o644)
        #expect {
            try target.backend("conf").preflight()
        } throws: { error in
            guard case .denied(_, let reason) = error as? StorageError else { return false }
            return reason.contains("refused the login of \(target.sshd.user)") && reason.contains("\(keys)/stranger")
        }

        // No key anywhere and no agent: a clear error before connecting.
        try Posix.writeFileAtomically(target.confDirectory + "/conf", [], mode: 0o644)
        #expect {
            try target.backend("conf")
        } throws: { error in
            "\(error)".contains("no SSH key") && "\(error)".contains("SSH_AUTH_SOCK")
        }
    }

    @Test func sshAgentLogsInWithoutAKeyFile() throws {
        let target = try SFTPTestTarget("sftp-agent")
        try Posix.removeTree(Array((target.sftpDirectory + "/id_ed25519").utf8))
        let socket = target.tree.area("agent.sock")
        let agent = try TestServerProcess(name: "ssh-agent", argv: ["ssh-agent", "-D", "-a", socket], logPath: target.tree.area("agent.log"))
        defer { agent.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !Posix.fileExists(socket) && Date() < deadline { usleep(50_000) }
        let add = try runProcess("/usr/bin/ssh-add", [target.sshd.clientKey], environment: ["SSH_AUTH_SOCK": socket])
        #expect(add.status == 0, "\(add.output)")
        // libssh2 asks the agent named by the process environment.
        setenv("SSH_AUTH_SOCK", socket, 1)
        defer { unsetenv("SSH_AUTH_SOCK") }
        var options = target.options()
        options.environment = ["SSH_AUTH_SOCK": socket]
        let backend = try StorageRegistry.open(address: target.sshd.address("agent"), options: options)
        try backend.preflight()
        #expect(try backend.list().isEmpty)
    }

    /// A server that takes one new connection at a time (the others are
    /// dropped before the SSH banner): parallel uploads still all succeed,
    /// on the connections the server took.
    @Test func parallelTransfersKeepToWhatTheServerAllows() throws {
        let target = try SFTPTestTarget("sftp-maxstartups", sshdConfig: "MaxStartups 1:100:1\n")
        let backend = try target.backend("parallel")
        let local = target.tree.area("volume")
        try Posix.writeFileAtomically(local, [UInt8](repeating: 5, count: 1 << 20), mode: 0o600)
        let failures = NSLock()
        var failed: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do { try backend.put(name: "volume-\(i)", fromFile: local) } catch {
                failures.lock()
                failed.append("\(error)")
                failures.unlock()
            }
        }
        #expect(failed.isEmpty, "\(failed)\n\(target.sshd.logTail())")
        #expect(try backend.list().map(\.name).sorted() == (0..<8).map { "volume-\($0)" })
    }

    /// A listing is the server's text: a name with a newline splits its
    /// line, and the rest is an error naming it, not a made-up object.
    @Test func aListingLineThatIsNotOneIsAnError() throws {
        let target = try SFTPTestTarget("sftp-hostile-listing")
        let backend = try target.backend("hostile")
        try backend.preflight()
        try Posix.writeFileAtomically(target.sshd.dataPath("hostile") + "/bad\nname", Array("x".utf8), mode: 0o600)
        #expect {
            try backend.list()
        } throws: { error in
            guard case .failed(_, let reason) = error as? StorageError else { return false }
            return reason.contains("unreadable directory listing line 'name'")
        }
    }

    @Test func unreachableServerFailsFast() throws {
        let target = try SFTPTestTarget("sftp-unreachable")
        target.sshd.stop()
        let started = Date()
        #expect {
            try target.backend("x").preflight()
        } throws: { error in
            guard case .unreachable(_, let reason) = error as? StorageError else { return false }
            return reason.contains("127.0.0.1:\(target.sshd.port)")
        }
        #expect(Date().timeIntervalSince(started) < 20)
    }
}

/// The parts that need no server: addresses and listings (hostile input).
@Suite struct SFTPParsingTests {
    @Test func addressesReadAsDuplicityReadsThem() throws {
        let relative = try SFTPAddress(parsing: "sftp://backup@host.example:2222/backups/web 1")
        #expect(relative.user == "backup" && relative.host == "host.example" && relative.port == 2222)
        #expect(relative.directory == "/~/backups/web 1", "relative to the home directory")
        let absolute = try SFTPAddress(parsing: "sftp://host.example//srv/backups/")
        #expect(absolute.user == nil && absolute.port == 22 && absolute.directory == "/srv/backups")
        #expect(try SFTPAddress(parsing: "sftp://[::1]:2200/x").host == "::1")
        #expect(try SFTPAddress(parsing: "sftp://h/d%C3%A9j%C3%A0").directory == "/~/déjà")
        for bad in [
            "sftp://user:secret@host/x", "sftp://host", "sftp://host:0/x", "sftp://host:99999/x", "sftp://ho st/x",
            "sftp://host/../etc", "sftp://host/a%0Ab", "sftp://@host/x", "sftp://[::1/x",
        ] {
            #expect(throws: StorageError.self, "\(bad)") { try SFTPAddress(parsing: bad) }
        }
        #expect {
            try SFTPAddress(parsing: "sftp://user:secret@host/x")
        } throws: { "\($0)".contains("password") }
    }

    @Test func listingsKeepNamesAsTheyAre() throws {
        let text = """
            -rw-------    1 root     root         1000 Dec  4 10:00 duplicity-full.20240101T000000Z.vol1 with spaces.difftar.gpg
            -rw-r--r--    1 root     root            0 Jan  1  2020  leading space
            drwx------    2 root     root         4096 Dec  4 10:00 subdir
            lrwxrwxrwx    1 root     root            7 Dec  4 10:00 link -> target
            -rw-------    1 1000     1000     9223372036854775807 Dec  4 10:00 huge

            """
        let entries = try SFTPListing.parse(Array(text.utf8))
        #expect(entries.map(\.name) == ["duplicity-full.20240101T000000Z.vol1 with spaces.difftar.gpg", " leading space", "subdir", "link", "huge"])
        #expect(entries.map(\.size) == [1000, 0, 4096, 7, Int64.max])
        #expect(entries.map(\.isRegularFile) == [true, true, false, false, true])
    }

    @Test func hostileListingLinesAreErrorsNotTraps() {
        for line in [
            "garbage", "-rw------- 1 root root 99999999999999999999 Dec 4 10:00 big", "-rw------- 1 root root 12a Dec 4 10:00 x",
            "-rw------- 1 root root -5 Dec 4 10:00 x", "-rw------- 1 root root 5 Dec 4 10:00", "?????????? 1 a b 5 Dec 4 10:00 x",
            "-rw------- 1 root root 9223372036854775808 Dec 4 10:00 overflow",
        ] {
            #expect(throws: SFTPListing.Malformed.self, "\(line)") { try SFTPListing.parse(Array(line.utf8)) }
        }
        #expect(SFTPBackend.reportedSize("Offset (4611686018427387904) was beyond file size (1234)") == 1234)
        #expect(SFTPBackend.reportedSize("Offset (1) was beyond file size (99999999999999999999)") == nil)
        #expect(SFTPBackend.reportedSize("something else (12)") == nil)
        // Command paths: quoted, home-relative ones without libcurl's /~/.
        #expect(SFTPBackend.q("/~/rel dir/x") == "\"rel dir/x\"")
        #expect(SFTPBackend.q("/srv/a \"b\"\\c") == "\"/srv/a \\\"b\\\"\\\\c\"")
    }
}
