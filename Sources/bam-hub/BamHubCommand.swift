import ArgumentParser
import BamHub

/// `bam-hub`: the Hub server and its admin commands.
@main
struct BamHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bam-hub",
        abstract: "The bam Hub: hands out storage, credentials and key escrow to bam clients, and shows their backups on the web.",
        subcommands: [Serve.self, AccountCommand.self, RegionCommand.self, ProfileCommand.self])
}

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage Hub accounts.", subcommands: [AccountAdd.self, AccountRetention.self])
}

struct RegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "region", abstract: "Manage storage regions.", subcommands: [RegionAdd.self])
}

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profile", abstract: "Manage install profiles.", subcommands: [ProfileImport.self])
}
