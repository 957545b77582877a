@testable import BamEngine

/// The extras a whole-system backup carries, and the rollback store's
/// files, read as SystemRestore and RollbackStore read them.
enum ExtrasTargets {
    static func fsdelta(_ input: [UInt8]) {
        for (i, line) in lines(input).enumerated() {
            _ = try? FileSystemChange.parse(line, file: "fsdelta", lineNumber: i + 1)
        }
    }

    /// passwd, group, shadow and gshadow (split at NUL bytes, which no
    /// account file holds), parsed, written back, and merged with a local
    /// database as a restore does.
    static func accounts(_ input: [UInt8]) {
        let parts = input.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
        func file(_ index: Int, _ kind: AccountFileKind) -> AccountFile {
            AccountFile.parse(index < parts.count ? parts[index] : [], kind: kind)
        }
        let backup = UserDatabase(passwd: file(0, .passwd), group: file(1, .group), shadow: file(2, .shadow), gshadow: file(3, .gshadow))
        for account in [backup.passwd, backup.group, backup.shadow!, backup.gshadow!] {
            _ = account.serialized()
            for entry in account.entries { _ = account.id(of: entry) }
        }
        _ = try? UserDatabaseMerger().merge(backup: backup, local: local)
    }

    static func newpkgs(_ input: [UInt8]) {
        _ = try? Profile.parsePackages(text(input), file: "newpkgs")
    }

    static func backupConf(_ input: [UInt8]) {
        ScratchFile.write(input)
        _ = try? BackupConfRecord.load(ScratchFile.path)
    }

    static func rollbackIndex(_ input: [UInt8]) {
        for (i, line) in lines(input).enumerated() {
            _ = try? RollbackIndexEntry.parse(line, file: "rollback index", lineNumber: i + 1)
        }
    }

    /// A small Debian system's accounts, for the merge.
    private static let local = UserDatabase(
        passwd: AccountFile.parse(
            """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash

            """, kind: .passwd),
        group: AccountFile.parse(
            """
            root:x:0:
            daemon:x:1:
            www-data:x:33:
            sudo:x:27:alice
            nogroup:x:65534:
            alice:x:1000:

            """, kind: .group),
        shadow: AccountFile.parse("root:*:19000:0:99999:7:::\nalice:$y$j9T$abc$def:19000:0:99999:7:::\n", kind: .shadow),
        gshadow: AccountFile.parse("root:*::\nsudo:*::alice\n", kind: .gshadow))
}
