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

        @Option(help: ArgumentHelp("The Hub's URL (default: $BAM_HUB_URL, else \(HubClient.placeholderURL)); saved in <registry>/hub for later commands.", valueName: "URL"))
        var hub: String?

        @Option(help: ArgumentHelp("The directory that stands for /: its profile id picks the profile fetched from the Hub.", valueName: "DIR"))
        var root = "/"

        @Flag(help: "Initialise without a Hub.")
        var solo = false

        @Flag(help: "Replace an existing secret (existing backups become unreadable with the new one).")
        var force = false

        @Option(name: .customLong("key-format"), help: ArgumentHelp("Format of the key packet written to <registry>/key: v2 (scrypt, AES-GCM) or v1 (the original TKLBAM's).", valueName: "v1|v2"))
        var keyFormat: KeyPacket.Format = .v2

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            let ways = [solo, apiKey != nil, apiKeyStdin].filter { $0 }.count
            if ways == 0 { throw ValidationError("give the Hub API key (APIKEY or --apikey-stdin), or --solo to work without a Hub") }
            if ways > 1 { throw ValidationError("APIKEY, --apikey-stdin and --solo exclude each other") }
            if solo && hub != nil { throw ValidationError("--solo uses no Hub: drop --hub") }
            if !root.hasPrefix("/") { throw ValidationError("--root must be an absolute path") }
        }

        func run() throws {
            try output.run { reporter in
                if solo { try runSolo(reporter) } else { try runLinked(reporter) }
            }
        }

        private func runSolo(_ reporter: CommandReporter) throws {
            let registry = registryOptions.registry
            let secret = try registry.initialise(force: force)
            try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: keyFormat))
            let fingerprint = KeyPacket.fingerprint(of: secret)
            reporter.summary([
                ("registry", .string(registry.path)),
                ("initialised", .bool(true)),
                ("key", .string(registry.keyPath)),
                ("fingerprint", .string(fingerprint)),
            ], text: "initialised \(registry.path) (solo); key fingerprint \(fingerprint), not passphrase-protected (see 'bam passphrase')")
        }

        private func runLinked(_ reporter: CommandReporter) throws {
            let registry = registryOptions.registry
            let key = try apiKey ?? PassphrasePrompt.readStandardInputLine(what: "API key").trimmingCharacters(in: .whitespaces)
            let url = hub ?? HubClient.defaultURL()
            let profileID = ProfileID.detect(root: root)
            let result = try HubSession.link(apiKey: key, url: url, registry: registry, profileID: profileID, force: force,
                                             keyFormat: keyFormat, warn: { reporter.report(.warning($0)) })
            let fingerprint = KeyPacket.fingerprint(of: result.secret)
            let profile: String
            switch result.profile {
            case .downloaded: profile = "downloaded"
            case .current: profile = "current"
            case .notOnHub: profile = "not on the Hub"
            case .cached: profile = "cached"
            }
            reporter.summary([
                ("registry", .string(registry.path)),
                ("initialised", .bool(true)),
                ("hub", .string(url)),
                ("key", .string(registry.keyPath)),
                ("fingerprint", .string(fingerprint)),
                ("profile_id", .string(profileID)),
                ("profile", .string(profile)),
                ("credentials", .string(result.credentialsType ?? "not yet")),
            ], text: """
                linked \(registry.path) to the Hub at \(url); key fingerprint \(fingerprint), not passphrase-protected (see 'bam passphrase')
                profile \(profileID): \(profile)
                """)
        }
    }
}
