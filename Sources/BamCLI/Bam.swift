import ArgumentParser
import BamEngine

/// The root command: lists the subcommands; each lives in its own file
/// under `Commands/`.
public struct Bam: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bam",
        abstract: "Backup and migration for Linux servers.",
        discussion: """
            bam backs up what changed on a server since it was installed, \
            encrypted, as duplicity-format volumes, and restores it onto a \
            fresh install.

            Exit codes (every command; 'bam status' has its own, see its help):
            \(BamExitStatus.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n"))
            """,
        version: BamVersion.string,
        subcommands: [
            Init.self, Backup.self, Restore.self, RestoreRollback.self, Verify.self, Passphrase.self, Escrow.self, Internal.self,
            List.self, Status.self, Schedule.self, Prune.self,
        ]
    )

    public init() {}
}

public enum BamVersion {
    public static let string = "0.1.0"
}
