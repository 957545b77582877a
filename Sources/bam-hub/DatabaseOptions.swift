import ArgumentParser
import BamHub
import Foundation

/// `--database`, the same for `serve` and every admin command.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "sqlite:PATH (embedded) or postgres://USER@HOST:PORT/DB (give a password with PGPASSWORD, not in the URL). Default: $BAM_HUB_DATABASE.",
            valueName: "URL"))
    var database: String?

    func openStore() throws -> SQLStore {
        guard let value = database ?? ProcessInfo.processInfo.environment["BAM_HUB_DATABASE"], !value.isEmpty else {
            throw ValidationError("--database is required (or set BAM_HUB_DATABASE)")
        }
        let store = try SQLStore(database: value)
        try store.migrate()
        return store
    }

    var value: String? { database ?? ProcessInfo.processInfo.environment["BAM_HUB_DATABASE"] }
}

/// Prints an admin command's failure and exits 1 (64 for bad input).
func runAdmin(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as HubStoreError {
        FileHandle.standardError.write(Data("bam-hub: \(error)\n".utf8))
        throw ExitCode(64)
    } catch let error as SQLError {
        FileHandle.standardError.write(Data("bam-hub: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
