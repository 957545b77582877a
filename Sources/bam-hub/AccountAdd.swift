import ArgumentParser
import BamHub
import Foundation

struct AccountAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create an account and print its API key (shown once; the Hub keeps only its hash).",
        discussion: "The API key is what `bam init APIKEY` takes, and it signs in to the web pages together with the email.")

    @Argument(help: "The account's email address (its web sign-in name).")
    var email: String

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON {\"email\", \"apikey\"}.")
    var json = false

    func run() throws {
        try runAdmin {
            let (account, key) = try AdminOperations.addAccount(store: try database.openStore(), email: email)
            if json {
                print("{\"email\": \"\(account.email)\", \"apikey\": \"\(key)\"}")
            } else {
                print(key)
            }
        }
    }
}
