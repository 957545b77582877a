import Testing

@testable import BamEngine

@Suite("Profile: loading, creating, detecting")
struct ProfileTests {
    @Test("the drupal6 profile loads")
    func loadDrupal6() throws {
        _ = try ReferenceProfiles.require("turnkey-drupal6-2009.10-hardy-x86/packages")
        let profile = try Profile.load(ReferenceProfiles.drupal6)
        #expect(profile.packages.count == 263)
        #expect(profile.packages.first == "adduser")
        #expect(profile.packages.contains("apache2"))
        #expect(profile.conf.rules.count == 27)
        #expect(profile.dirIndexPath == ReferenceProfiles.drupal6 + "/dirindex")
        #expect(profile.hooksDirectory == nil)
    }

    @Test("a profile without dirindex.conf is refused")
    func missingConf() throws {
        let tree = try ScratchTree()
        try tree.write("packages", "bash\n")
        #expect(throws: BamError.missing(what: tree.path + "/dirindex.conf")) { try Profile.load(tree.path) }
        #expect(throws: BamError.self) { try Profile.load(tree.path + "/nope") }
    }

    @Test("installed packages come from the dpkg status")
    func dpkgStatus() {
        let status = """
            Package: zsh
            Status: install ok installed
            Description: shell
             with a continuation line
              Status: not a field

            Package: removed
            Status: deinstall ok config-files

            Package: bash
            Status: install ok installed

            Package: held
            Status: hold ok installed
            """
        #expect(ProfileCreator.installedPackages(dpkgStatus: status) == ["bash", "zsh"])
    }

    @Test("a profile made from a pristine root")
    func create() throws {
        let root = try ScratchTree()
        try root.file("etc/hosts", "127.0.0.1 localhost\n", mtime: 1_000_000)
        try root.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        try root.file("etc/apt/sources.list", "deb x\n")
        try root.file("etc/ssh/ssh_host_rsa_key", "secret", mode: 0o600)
        try root.file("etc/ssh/sshd_config", "Port 22\n", mode: 0o600)
        try root.symlink("etc/localtime", to: "/usr/share/zoneinfo/UTC", mtime: 1_000_001)
        try root.file("home/user/notes", "hello", mode: 0o640)
        try root.file("usr/bin/ls", "elf")
        try root.file("var/www/index.html", "<html>")
        try root.file("var/log/syslog", "log")
        try root.file(
            "var/lib/dpkg/status",
            "Package: coreutils\nStatus: install ok installed\n\nPackage: apt\nStatus: install ok installed\n")
        let out = try ScratchTree()
        let result = try ProfileCreator(root: root.path).create(in: out.path)

        #expect(try out.read("dirindex.conf") == CoreDirIndexConf.text)
        #expect(try out.read("packages") == "apt\ncoreutils\n")
        let records = try DirIndex.read(out.full("dirindex"))
        let paths = records.map { String(decoding: $0.path, as: UTF8.self) }
        #expect(
            paths == [
                "/etc", "/etc/hosts", "/etc/localtime", "/etc/ssh", "/etc/ssh/sshd_config",
                "/home", "/home/user", "/home/user/notes", "/var/www", "/var/www/index.html",
            ])
        #expect(result.indexRecords == 10)
        #expect(result.packages == 2)
        let hosts = try #require(records.first { $0.path == Array("/etc/hosts".utf8) })
        #expect(hosts.mode == 0o100644 && hosts.size == 20 && hosts.mtime == 1_000_000)
        let localtime = try #require(records.first { $0.path == Array("/etc/localtime".utf8) })
        #expect(localtime.isSymlink && localtime.symlinkTarget == Array("/usr/share/zoneinfo/UTC".utf8))
        #expect(localtime.mtime == 1_000_001)
        let notes = try #require(records.first { $0.path == Array("/home/user/notes".utf8) })
        #expect(notes.mode == 0o100640)
        // The profile reads back as a profile.
        let profile = try Profile.load(out.path)
        #expect(profile.packages == ["apt", "coreutils"])
        #expect(profile.conf.rules == DirIndexConf.debianCore.rules)
    }

    struct IDCase: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String: String]
        var expected: String
        var testDescription: String { name }
    }

    static let idCases: [IDCase] = [
        IDCase(
            name: "turnkey_version wins",
            files: [
                "etc/turnkey_version": "turnkey-core-18.0-bookworm-amd64\n",
                "etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n",
            ],
            expected: "turnkey-core-18.0-bookworm-amd64"),
        IDCase(
            name: "os-release ID-VERSION_ID",
            files: [
                "etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
                "etc/debian_version": "12.5\n",
            ],
            expected: "debian-12"),
        IDCase(
            name: "os-release single quotes", files: ["etc/os-release": "ID='ubuntu'\nVERSION_ID='22.04'\n"],
            expected: "ubuntu-22.04"),
        IDCase(
            name: "os-release without VERSION_ID falls to debian_version",
            files: ["etc/os-release": "ID=debian\n", "etc/debian_version": "11.9\n"], expected: "debian-11"),
        IDCase(name: "debian testing", files: ["etc/debian_version": "trixie/sid\n"], expected: "debian-trixie_sid"),
        IDCase(name: "nothing", files: [:], expected: "generic"),
    ]

    @Test("profile id detection", arguments: idCases)
    func detectID(_ testCase: IDCase) throws {
        let root = try ScratchTree()
        try root.directory("etc")
        for (path, content) in testCase.files { try root.file(path, content) }
        #expect(ProfileID.detect(root: root.path) == testCase.expected)
    }
}
