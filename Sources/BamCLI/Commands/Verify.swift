import ArgumentParser
import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Bam {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a backup: volume hashes, decryption, the whole chain, and optionally the data.",
            discussion: "Exits 1 when --compare finds a difference, 12 when backup data is damaged or missing.")

        @OptionGroup var archive: ArchiveOptions

        @Option(help: ArgumentHelp("Verify the state at this time (default: the latest).", valueName: "T"))
        var time: String?

        @Option(help: ArgumentHelp("Compare the backed-up data with this directory.", valueName: "DIR"))
        var compare: String?

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let time { try TimeArgument.validate(time) }
        }

        func run() throws {
            try output.run { reporter in
                let secret = try registryOptions.registry.loadSecret()
                let when = try time.map(TimeArgument.parse)
                let result = try ArchiveVerify(
                    address: archive.address, time: when, compareWith: compare,
                    scratchRoot: archive.cacheRoot, passphrase: secret.bytes, progress: reporter
                ).run()
                let diffs = result.differences
                if !reporter.json {
                    for line in diffs { print("difference: \(line)") }
                }
                reporter.summary(
                    [
                        ("operation", .string("verify")),
                        ("time", .string(BackupTime.format(result.restore.time))),
                        ("volumes", .int(Int64(result.restore.volumes))),
                        ("files", .int(Int64(result.restore.files))),
                        ("differences", .array(diffs.map { .string($0) })),
                    ],
                    text: diffs.isEmpty
                        ? "verified \(result.restore.volumes) volume(s), \(result.restore.files) files of \(BackupTime.display(result.restore.time))"
                            + (compare.map { "; identical to \($0)" } ?? "")
                        : "\(diffs.count) difference(s) from \(compare ?? "")")
                if !diffs.isEmpty { throw ExitCode(BamExitStatus.failure.rawValue) }
            }
        }
    }
}
