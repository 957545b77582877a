import Testing

@testable import BamEngine

@Suite("Users: merging a backup's users and groups")
struct UsersDatabaseMergerTests {
    static let base = (
        passwd: "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
        group: "root:x:0:\ndaemon:x:1:\n"
    )

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var backupPasswd: String
        var backupGroup: String
        var localPasswd: String
        var localGroup: String
        var passwd: String
        var group: String
        var uidMap: [UInt32: UInt32] = [:]
        var gidMap: [UInt32: UInt32] = [:]
        var renamedUsers: [String] = []
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "name only on the target is kept",
            backupPasswd: base.passwd, backupGroup: base.group,
            localPasswd: base.passwd + "guest:x:1000:1000::/home/guest:/bin/sh\n",
            localGroup: base.group + "guest:x:1000:\n",
            passwd: base.passwd + "guest:x:1000:1000::/home/guest:/bin/sh\n", group: base.group + "guest:x:1000:\n"),
        Case(
            name: "name in both: backup fields, target id",
            backupPasswd: base.passwd + "mysql:x:104:109:MySQL old:/var/lib/mysql:/bin/false\n",
            backupGroup: base.group + "mysql:x:109:\n",
            localPasswd: base.passwd + "mysql:x:105:110:MySQL:/nonexistent:/bin/false\n",
            localGroup: base.group + "mysql:x:110:\n",
            passwd: base.passwd + "mysql:x:105:110:MySQL old:/var/lib/mysql:/bin/false\n",
            group: base.group + "mysql:x:110:\n",
            uidMap: [104: 105], gidMap: [109: 110]),
        Case(
            name: "name only in the backup keeps a free id",
            backupPasswd: base.passwd + "alice:x:1001:1001::/home/alice:/bin/bash\n",
            backupGroup: base.group + "alice:x:1001:\n",
            localPasswd: base.passwd, localGroup: base.group,
            passwd: base.passwd + "alice:x:1001:1001::/home/alice:/bin/bash\n",
            group: base.group + "alice:x:1001:\n"),
        Case(
            name: "uid collision: first id free on both sides from 1000",
            backupPasswd: base.passwd + "foo:x:1000:1000::/home/foo:/bin/bash\nbar:x:1001:1001::/home/bar:/bin/bash\n",
            backupGroup: base.group + "foo:x:1000:\nbar:x:1001:\n",
            localPasswd: base.passwd
                + "guest:x:1000:1000::/home/guest:/bin/sh\nadmin:x:1002:1002::/home/admin:/bin/sh\n",
            localGroup: base.group + "guest:x:1000:\nadmin:x:1002:\n",
            passwd: base.passwd
                + "guest:x:1000:1000::/home/guest:/bin/sh\nbar:x:1001:1001::/home/bar:/bin/bash\n"
                + "admin:x:1002:1002::/home/admin:/bin/sh\nfoo:x:1003:1003::/home/foo:/bin/bash\n",
            group: base.group + "guest:x:1000:\nbar:x:1001:\nadmin:x:1002:\nfoo:x:1003:\n",
            uidMap: [1000: 1003], gidMap: [1000: 1003]),
        Case(
            name: "a backup user's primary group follows the gid map",
            backupPasswd: base.passwd + "web:x:1005:33::/srv/web:/bin/sh\n",
            backupGroup: base.group + "www-data:x:33:\n",
            localPasswd: base.passwd, localGroup: base.group + "www-data:x:34:\n",
            passwd: base.passwd + "web:x:1005:34::/srv/web:/bin/sh\n",
            group: base.group + "www-data:x:34:\n",
            gidMap: [33: 34]),
        Case(
            name: "aliases share the id of the first merged alias",
            backupPasswd: base.passwd + "toor:x:0:0:alias:/root:/bin/sh\n",
            backupGroup: base.group,
            localPasswd: base.passwd, localGroup: base.group,
            passwd:
                "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0:alias:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
            group: base.group),
        Case(
            name: "a conflicting target entry of an alias is kept as _orig",
            backupPasswd: base.passwd + "svc:x:500:500::/srv:/bin/sh\nsvc2:x:500:500::/srv:/bin/sh\n",
            backupGroup: base.group + "svc:x:500:\n",
            localPasswd: base.passwd + "svc:x:500:500::/srv:/bin/sh\nsvc2:x:600:600::/srv2:/bin/sh\n",
            localGroup: base.group + "svc:x:500:\n",
            passwd: base.passwd
                + "svc:x:500:500::/srv:/bin/sh\nsvc2:x:500:500::/srv:/bin/sh\nsvc2_orig:x:600:600::/srv2:/bin/sh\n",
            group: base.group + "svc:x:500:\n",
            renamedUsers: ["svc2_orig"]),
        Case(
            name: "root always exists",
            backupPasswd: "admin:x:0:0:admin:/root:/bin/sh\nbin:x:2:2::/bin:/bin/false\n", backupGroup: "wheel:x:0:\n",
            localPasswd: "bin:x:2:2::/bin:/bin/false\n", localGroup: "bin:x:2:\n",
            // As the original: the missing root is a copy of the id-0 entry.
            passwd: "root:x:0:0:admin:/root:/bin/sh\nadmin:x:0:0:admin:/root:/bin/sh\nbin:x:2:2::/bin:/bin/false\n",
            group: "root:x:0:\nwheel:x:0:\nbin:x:2:\n"),
        Case(
            name: "a stock root when no side has id 0",
            backupPasswd: "bin:x:2:2::/bin:/bin/false\n", backupGroup: "bin:x:2:\n",
            localPasswd: "bin:x:2:2::/bin:/bin/false\n", localGroup: "bin:x:2:\n",
            passwd: "root:x:0:0:root:/root:/bin/bash\nbin:x:2:2::/bin:/bin/false\n",
            group: "root:x:0:\nbin:x:2:\n"),
        Case(
            name: "target lines that are not entries are kept at the end",
            backupPasswd: base.passwd, backupGroup: base.group,
            localPasswd: "# managed\n" + base.passwd + "+::::::\n", localGroup: base.group,
            passwd: base.passwd + "# managed\n+::::::\n", group: base.group),
    ]

    @Test("passwd and group", arguments: cases)
    func merge(_ testCase: Case) throws {
        let result = try UserDatabaseMerger().merge(
            backup: UserDatabase(
                passwd: .parse(testCase.backupPasswd, kind: .passwd), group: .parse(testCase.backupGroup, kind: .group)),
            local: UserDatabase(
                passwd: .parse(testCase.localPasswd, kind: .passwd), group: .parse(testCase.localGroup, kind: .group)))
        #expect(String(decoding: result.database.passwd.serialized(), as: UTF8.self) == testCase.passwd)
        #expect(String(decoding: result.database.group.serialized(), as: UTF8.self) == testCase.group)
        #expect(result.uidMap == testCase.uidMap)
        #expect(result.gidMap == testCase.gidMap)
        #expect(result.renamedUsers == testCase.renamedUsers)
        #expect(result.database.shadow == nil)
    }

    @Test("shadow: target-only users keep their passwords, backup users bring theirs")
    func shadow() throws {
        let backup = UserDatabase(
            passwd: .parse(
                Self.base.passwd + "alice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n",
                kind: .passwd),
            group: .parse(Self.base.group + "alice:x:1000:\nbob:x:1001:\n", kind: .group),
            shadow: .parse(
                "root:$6$backuproot:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nalice:$6$alice:19000:0:99999:7:::\nbob:$6$bob:19000:0:99999:7:::\n",
                kind: .shadow),
            gshadow: .parse("root:*::\ndaemon:*::\nalice:!::\nbob:!::bob\n", kind: .gshadow))
        let local = UserDatabase(
            passwd: .parse(Self.base.passwd + "carol:x:1000:1000::/home/carol:/bin/bash\n", kind: .passwd),
            group: .parse(Self.base.group + "carol:x:1000:\n", kind: .group),
            shadow: .parse(
                "root:$6$localroot:19500:0:99999:7:::\ndaemon:*:19500:0:99999:7:::\ncarol:$6$carol:19500:0:99999:7:::\nghost:$6$ghost:1::::::\n",
                kind: .shadow),
            gshadow: .parse("root:*::\ndaemon:*::\ncarol:!::\n", kind: .gshadow))
        let result = try UserDatabaseMerger().merge(backup: backup, local: local)
        #expect(
            String(decoding: result.database.passwd.serialized(), as: UTF8.self) == Self.base.passwd
                + "carol:x:1000:1000::/home/carol:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\nalice:x:1002:1002::/home/alice:/bin/bash\n"
        )
        #expect(result.uidMap == [1000: 1002])
        #expect(result.gidMap == [1000: 1002])
        let shadow = String(decoding: try #require(result.database.shadow).serialized(), as: UTF8.self)
        #expect(
            shadow == """
                root:$6$backuproot:19000:0:99999:7:::
                daemon:*:19000:0:99999:7:::
                carol:$6$carol:19500:0:99999:7:::
                bob:$6$bob:19000:0:99999:7:::
                alice:$6$alice:19000:0:99999:7:::
                ghost:$6$ghost:1::::::

                """)
        let gshadow = String(decoding: try #require(result.database.gshadow).serialized(), as: UTF8.self)
        #expect(gshadow == "root:*::\ndaemon:*::\ncarol:!::\nbob:!::bob\nalice:!::\n")
    }

    @Test("shadow: a target entry kept as _orig keeps its password under that name")
    func shadowOfRenamedEntry() throws {
        let backup = UserDatabase(
            passwd: .parse(
                Self.base.passwd + "svc:x:500:500::/srv:/bin/sh\nsvc2:x:500:500::/srv:/bin/sh\n", kind: .passwd),
            group: .parse(Self.base.group + "svc:x:500:\n", kind: .group),
            shadow: .parse("svc:!:1::::::\nsvc2:!:1::::::\n", kind: .shadow))
        let local = UserDatabase(
            passwd: .parse(
                Self.base.passwd + "svc:x:500:500::/srv:/bin/sh\nsvc2:x:600:600::/srv2:/bin/sh\n", kind: .passwd),
            group: .parse(Self.base.group + "svc:x:500:\n", kind: .group),
            shadow: .parse("root:*:2::::::\nsvc:*:2::::::\nsvc2:$6$local:2::::::\n", kind: .shadow))
        let result = try UserDatabaseMerger().merge(backup: backup, local: local)
        let shadow = String(decoding: try #require(result.database.shadow).serialized(), as: UTF8.self)
        #expect(shadow == "root:*:2::::::\nsvc:!:1::::::\nsvc2:!:1::::::\nsvc2_orig:$6$local:2::::::\n")
    }

    @Test("the original's regression sample merges to the same ids")
    func originalSample() throws {
        // From the original's regression test: the backup's foo (uid 1000)
        // collides with the target's guest; klog, syslog, postfix moved.
        let oldPasswd =
            Self.base.passwd + """
                klog:x:104:109::/home/klog:/bin/false
                postfix:x:106:111::/var/spool/postfix:/bin/false
                foo:x:1000:1000:,,,:/home/foo:/bin/bash
                foo1:x:1001:1001:,,,:/home/foo1:/bin/bash

                """
        let oldGroup = Self.base.group + "klog:x:109:\npostfix:x:111:\nfoo:x:1000:\nfoo1:x:1001:\n"
        let newPasswd =
            Self.base.passwd + """
                klog:x:105:110::/home/klog:/bin/false
                postfix:x:107:112::/var/spool/postfix:/bin/false
                guest:x:1000:1001:,,,:/home/guest:/bin/bash

                """
        let newGroup = Self.base.group + "klog:x:110:\npostfix:x:112:\ncertssl:x:1000:\nguest:x:1001:\n"
        let result = try UserDatabaseMerger().merge(
            backup: UserDatabase(passwd: .parse(oldPasswd, kind: .passwd), group: .parse(oldGroup, kind: .group)),
            local: UserDatabase(passwd: .parse(newPasswd, kind: .passwd), group: .parse(newGroup, kind: .group)))
        #expect(result.gidMap == [109: 110, 111: 112, 1000: 1002, 1001: 1003])
        #expect(result.uidMap == [104: 105, 106: 107, 1000: 1002])
        #expect(
            String(decoding: result.database.passwd.serialized(), as: UTF8.self) == Self.base.passwd + """
                klog:x:105:110::/home/klog:/bin/false
                postfix:x:107:112::/var/spool/postfix:/bin/false
                guest:x:1000:1001:,,,:/home/guest:/bin/bash
                foo1:x:1001:1003:,,,:/home/foo1:/bin/bash
                foo:x:1002:1002:,,,:/home/foo:/bin/bash

                """)
    }
}
