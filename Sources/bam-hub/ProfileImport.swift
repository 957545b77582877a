import ArgumentParser
import BamHub
import Foundation

struct ProfileImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store an install profile (a directory or a tar.gz with dirindex.conf, dirindex, packages).")

    @Argument(help: "Profile directory or tar.gz archive.")
    var path: String

    @Option(help: ArgumentHelp("Profile id (turnkey_version); default: the directory's or archive's name.", valueName: "ID"))
    var id: String?

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try runAdmin {
            let profile = try AdminOperations.importProfile(store: try database.openStore(), path: path, id: id)
            print("profile \(profile.profileId) imported (\(profile.content.count) bytes, timestamp \(profile.timestamp))")
        }
    }
}
