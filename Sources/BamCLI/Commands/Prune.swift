import ArgumentParser
import BamEngine
import Foundation

extension Bam {
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove old backup chains as a retention policy says (conf's keep-full / keep-within, or the options).",
            discussion: """
                Removes whole chains only (a full backup and all its incrementals: \
                manifests, volumes, signatures), never the newest chain, and \
                incomplete sets older than the oldest chain kept, under the \
                target's lock (exit 14 while another run writes to it). With \
                both rules a chain is kept when either keeps it. Options given \
                replace conf's policy; with neither, a server linked to a Hub uses \
                the Hub's policy for its record; without any policy bam exits 64 \
                (1 when linked to a Hub that sets none either). \
                A backup applies the same policy itself after it has stored its set.
                """)

        @Option(
            help: ArgumentHelp(
                "Storage target: file:///PATH, s3://HOST/BUCKET/PREFIX, or s3+http://HOST:PORT/BUCKET/PREFIX (default: the registry's backup address).",
                valueName: "URL"))
        var address: String?

        @Option(
            name: .customLong("keep-full"),
            help: ArgumentHelp("Keep the newest N full chains (default: conf's keep-full).", valueName: "N"))
        var keepFull: String?

        @Option(
            name: .customLong("keep-within"),
            help: ArgumentHelp(
                "Keep every chain with a backup newer than AGE, e.g. 3M, 2W, 10D (default: conf's keep-within).", valueName: "AGE"))
        var keepWithin: String?

        @Flag(name: .customLong("dry-run"), help: "List what would be removed; change nothing.")
        var dryRun = false

        @Option(
            name: .customLong("cache-dir"),
            help: ArgumentHelp("Local cache of manifests and signatures (default: $BAM_CACHE or /var/cache/bam).", valueName: "DIR"))
        var cacheDirectory: String?

        @Option(
            name: .customLong("conf-dir"),
            help: ArgumentHelp("Configuration directory with conf (default: $BAM_CONF or /etc/bam).", valueName: "DIR"))
        var confDirectory: String?

        @OptionGroup var storage: StorageOptions
        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        /// The options as the engine's typed request.
        func request() throws -> PruneRequest {
            var r = PruneRequest(registry: registryOptions.registry.path)
            r.address = address
            r.confDirectory = DefaultDirectory.conf(confDirectory)
            r.cacheRoot = DefaultDirectory.cache(cacheDirectory)
            if let keepFull {
                do { r.policy.keepFull = try RetentionPolicy.parseKeepFull(keepFull) } catch { throw ValidationError("--keep-full \(error)") }
            }
            if let keepWithin {
                do { r.policy.keepWithin = try RetentionPolicy.parseKeepWithin(keepWithin) } catch {
                    throw ValidationError("--keep-within \(error)")
                }
            }
            r.dryRun = dryRun
            r.access = storage.access
            return r
        }

        func validate() throws {
            let r = try request()
            do { try r.validate() } catch { throw ValidationError("\(error)") }
            // No policy at all is a usage error (64). A conf that does not
            // parse is left to run(), which names its file and line; so is a
            // server linked to a Hub, whose policy only the Hub can tell
            // (none there either: exit 1).
            let hubDecides = r.address == nil && Registry(path: r.registry).isHubLinked
            if r.policy.isEmpty, !hubDecides, let conf = try? BamConf.load(confDirectory: r.confDirectory) {
                do { _ = try r.effectivePolicy(conf: conf) } catch { throw ValidationError("\(error)") }
            }
        }

        func run() throws {
            let r = try request()
            try output.run { reporter in
                let outcome = try PruneUseCase(r, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
            }
        }
    }
}
