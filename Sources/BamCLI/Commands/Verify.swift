import ArgumentParser
import BamEngine
import Foundation

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

        /// The options as the engine's typed request.
        var request: VerifyRequest {
            var r = VerifyRequest(registry: registryOptions.registry.path, address: archive.address)
            r.cacheRoot = archive.cacheRoot
            r.time = time
            r.compareWith = compare
            r.access = archive.storage.access
            return r
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                let outcome = try VerifyUseCase(request, progress: reporter).run()
                if !reporter.json {
                    for line in outcome.differences { print("difference: \(line)") }
                }
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
                if !outcome.differences.isEmpty { throw ExitCode(BamExitStatus.failure.rawValue) }
            }
        }
    }
}
