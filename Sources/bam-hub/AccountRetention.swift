import ArgumentParser
import BamHub
import Foundation

struct AccountRetention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Show or set the account's retention policy, the default of all its servers.",
        discussion: """
            bam applies it after each backup to a record of the account, unless the server's own conf sets \
            keep-full or keep-within (conf wins) or the record has a policy of its own (set on its web page). \
            The options given replace the policy whole (--keep-full 2 alone drops a keep-within). \
            With no option, prints the policy in force.
            """)

    @Argument(help: "The account's email address.")
    var email: String

    @Option(name: .customLong("keep-full"), help: "Keep the newest N full chains.")
    var keepFull: String?

    @Option(name: .customLong("keep-within"), help: "Keep every chain with a backup newer than AGE (e.g. 3M; units m h D W M Y).")
    var keepWithin: String?

    @Flag(name: .customLong("keep-everything"), help: "Remove the policy: every chain is kept.")
    var keepEverything = false

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON {\"email\", \"retention\": {\"keep_full\", \"keep_within\"}}.")
    var json = false

    func run() throws {
        try runAdmin {
            let policy = try AdminOperations.retention(
                store: try database.openStore(), email: email, keepFull: keepFull, keepWithin: keepWithin,
                keepEverything: keepEverything)
            if json {
                let object: [String: Any] = ["email": email, "retention": policy.apiFields]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(policy.description)
            }
        }
    }
}
