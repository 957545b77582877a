import Testing
@testable import BamEngine

/// The package list a whole-system backup carries reaches apt's argv: a
/// hostile one must not smuggle in options or terminal escapes.
@Suite struct PackageInstallerTests {
    @Test("Debian package names, with or without an architecture, are accepted")
    func validNames() {
        for name in ["bash", "libc6", "g++", "libstdc++6", "python3.11", "lib32z1-dev", "libc6:amd64", "0ad"] {
            #expect(PackageInstaller.isPackageName(name), "\(name)")
        }
    }

    @Test(
        "options, paths, escapes and other non-names are refused as damage naming the name, escaped",
        arguments: [
            "-oAPT::Update::Pre-Invoke::=touch /tmp/pwned", "--config-file=/tmp/evil", "-c/tmp/evil",
            "a", "Bash", "../etc", "bad\u{1b}[2Jname", "name:", "x:y:z",
        ])
    func hostileNames(_ name: String) throws {
        #expect(!PackageInstaller.isPackageName(name))
        do {
            _ = try Profile.parsePackages("bash\n\(name)\n", file: "newpkgs")
            Issue.record("\(name) was accepted")
        } catch let error as BamError {
            guard case .corrupt(let what, let reason) = error else { Issue.record("\(error)"); return }
            #expect(what == "newpkgs, line 2")
            // Blanks in a line are dropped before the name is read.
            #expect(reason.contains(Posix.display(name.filter { !$0.isWhitespace })) && !reason.contains("\u{1b}"), "\(reason)")
        }
    }
}
