import ArgumentParser
import BamEngine

extension Bam {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Initialise the registry with a new backup secret, linked to a Hub account or solo.",
            discussion: """
                With an API key (the argument, or one line on standard input with \
                --apikey-stdin, which keeps it out of the process list) bam links \
                this server to the Hub account: it gets a subkey, storage credentials \
                and the profile of this system's type; 'bam backup' then creates and \
                updates the server's backup record and stores to the address the Hub \
                chooses. With --solo no Hub is used: backups go to the address given \
                to 'bam backup'.
                """)

        @Argument(help: ArgumentHelp("The Hub account's API key (see also --apikey-stdin).", valueName: "APIKEY"))
        var apiKey: String?

        @Flag(name: .customLong("apikey-stdin"), help: "Read the API key as one line from standard input.")
        var apiKeyStdin = false

        @Option(
            help: ArgumentHelp(
                "The Hub's URL (default: $BAM_HUB_URL, else \(HubClient.placeholderURL)); saved in <registry>/hub for later commands.", valueName: "URL"))
        var hub: String?

        @Option(
            name: .customLong("ca-file"),
            help: ArgumentHelp("CA certificates (PEM) to check the Hub's TLS certificate against, instead of the system store.", valueName: "PATH"))
        var caFile: String?

        @Option(help: ArgumentHelp("The directory that stands for /: its profile id picks the profile fetched from the Hub.", valueName: "DIR"))
        var root = "/"

        @Flag(help: "Initialise without a Hub.")
        var solo = false

        @Flag(help: "Replace an existing secret (existing backups become unreadable with the new one).")
        var force = false

        @Option(
            name: .customLong("key-format"),
            help: ArgumentHelp("Format of the key packet written to <registry>/key: v2 (scrypt, AES-GCM) or v1 (the original TKLBAM's).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        /// The options as the engine's typed request (the API key read
        /// from standard input by `run`).
        var request: InitRequest {
            var r = InitRequest(registry: registryOptions.registry.path)
            // With --apikey-stdin the key is read by `run`; until then it is
            // an empty one, so the request is a linked one.
            r.apiKey = apiKey ?? (apiKeyStdin ? "" : nil)
            r.hubURL = hub
            r.caFile = caFile
            r.root = root
            r.force = force
            r.keyFormat = keyFormat
            return r
        }

        func validate() throws {
            let ways = [solo, apiKey != nil, apiKeyStdin].filter { $0 }.count
            if ways == 0 { throw ValidationError("give the Hub API key (APIKEY or --apikey-stdin), or --solo to work without a Hub") }
            if ways > 1 { throw ValidationError("APIKEY, --apikey-stdin and --solo exclude each other") }
            do { try request.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            try output.run { reporter in
                var request = self.request
                if apiKeyStdin {
                    request.apiKey = try PassphrasePrompt.readStandardInputLine(what: "API key").trimmingCharacters(in: .whitespaces)
                }
                let outcome = try InitUseCase(request, progress: reporter).run()
                reporter.summary(try JSONValue.encoding(outcome), text: outcome.text)
            }
        }
    }
}
