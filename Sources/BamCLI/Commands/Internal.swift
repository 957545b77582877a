import ArgumentParser
import BamEngine

extension Bam {
    /// Tools behind the main commands, as the original's `tklbam-internal`.
    struct Internal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Internal tools (profiles).",
            subcommands: [CreateProfile.self])
    }
}

extension Bam.Internal {
    struct CreateProfile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-profile",
            abstract: "Make a profile from a pristine root: dirindex.conf, dirindex and packages.",
            discussion: """
                Run it on a fresh install of an appliance. The profile goes into \
                OUT (created when missing); store it as REGISTRY/profile for \
                'bam backup' to use, or pass it with --force-profile.
                """)

        @Option(help: ArgumentHelp("The pristine root.", valueName: "DIR"))
        var root = "/"

        @Option(name: .customLong("dirindex-conf"), help: ArgumentHelp("Path list to index instead of the Debian core list.", valueName: "FILE"))
        var dirindexConf: String?

        @Argument(help: ArgumentHelp("Directory to write the profile into.", valueName: "OUT"))
        var out: String

        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                let conf = try dirindexConf.map(DirIndexConf.load) ?? .debianCore
                try Posix.makeDirectories(out, mode: 0o755)
                let result = try ProfileCreator(root: root, conf: conf).create(in: out)
                for warning in result.warnings { reporter.report(.warning(warning.description)) }
                reporter.summary(
                    [
                        ("operation", .string("create-profile")),
                        ("root", .string(root)),
                        ("profile", .string(out)),
                        ("profile_id", .string(ProfileID.detect(root: root))),
                        ("dirindex_records", .int(Int64(result.indexRecords))),
                        ("packages", .int(Int64(result.packages))),
                    ],
                    text:
                        "profile of \(root) (\(ProfileID.detect(root: root))) in \(out): \(result.indexRecords) dirindex record(s), \(result.packages) package(s)"
                )
            }
        }
    }
}
