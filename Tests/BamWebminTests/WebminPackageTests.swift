import Foundation
import Testing
import BamEngine

/// The .wbm.gz that `make webmin-module` writes (same script, here with the
/// debug program): byte-for-byte reproducible, a `bam/` tree Webmin's
/// installer accepts, pages as symlinks to the one program.
@Suite("Webmin module package")
struct WebminPackageTests {
    @Test("two builds give the same bytes; the tar holds bam/module.info, the program and *.cgi symlinks")
    func reproducible() throws {
        let s = try WebminSandbox("pkg")
        let script = WebminSandbox.packageDirectory + "/scripts/build-webmin-module.sh"
        let binary = try WebminSandbox.binary("bam-webmin")
        var env = ProcessInfo.processInfo.environment
        env["SOURCE_DATE_EPOCH"] = "1700000000"
        let first = try WebminSandbox.run(script, [binary, s.base + "/one", s.base + "/one.wbm.gz"], environment: env)
        #expect(first.status == 0, "\(first.output)")
        sleep(1)  // different wall-clock mtimes on disk must not matter
        let second = try WebminSandbox.run(script, [binary, s.base + "/two", s.base + "/two.wbm.gz"], environment: env)
        #expect(second.status == 0, "\(second.output)")
        #expect(try Posix.readFile(s.base + "/one.wbm.gz") == Posix.readFile(s.base + "/two.wbm.gz"))

        let listing = try WebminSandbox.run("/bin/tar", ["tzvf", s.base + "/one.wbm.gz"])
        #expect(listing.status == 0)
        let lines = listing.output.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.contains(" 0/0 ") && $0.contains("2023-11-14") }, "\(listing.output)")
        #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix(" bam/bam-webmin") })
        for page in ["index", "backup", "restore", "restore-run", "rollback", "init", "passphrase", "escrow", "options", "overrides", "profile", "schedule"] {
            #expect(lines.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix(" bam/\(page).cgi -> bam-webmin") }, "\(page).cgi")
        }
        for file in [
            "module.info", "config", "config.info", "defaultacl", "lang/en", "images/icon.gif", "help/index.html",
            "install_check.pl", "log_parser.pl", "acl_security.pl", "bam-lib.pl", "templates/index.mustache",
        ] {
            #expect(lines.contains { $0.hasSuffix(" bam/\(file)") }, "\(file)")
        }
        // Every name is under bam/ (install-module.pl takes the first directory as the module id).
        let names = try WebminSandbox.run("/bin/tar", ["tzf", s.base + "/one.wbm.gz"]).output.split(separator: "\n")
        #expect(names.allSatisfy { $0.hasPrefix("bam/") })
        // The Perl files Webmin loads compile.
        for file in ["install_check.pl", "log_parser.pl", "acl_security.pl"] {
            let check = try WebminSandbox.run("/usr/bin/perl", ["-c", s.base + "/one/bam/" + file])
            #expect(check.output.contains("syntax OK"), "\(file): \(check.output)")
        }
    }
}
