import ArgumentParser
import BamEngine
import Foundation

extension Bam {
    /// `bam list`: the Hub account's backup records, as a table, in the
    /// user's own format (the original's variables), or as JSON.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the backup records of the Hub account.",
            discussion: """
                FORMAT is printed once per record with these variables replaced: \
                %id (backup id), %label (description), %turnkey_version (profile id), \
                %server_id, %created and %updated (YYYY-MM-DD HH:MM:SS, UTC), \
                %size (MB, two decimals), %address (storage address), %key (the \
                Base64 key packet), %skpp (Yes/No: key passphrase-protected); \\n and \
                \\t are a newline and a tab. Without FORMAT, a table. When the Hub is \
                unreachable, this server's own cached record is listed, with a warning.
                """)

        @Argument(help: ArgumentHelp("Output format, e.g. '%id %label %address'.", valueName: "FORMAT"))
        var format: String?

        @OptionGroup var registryOptions: RegistryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try output.run { reporter in
                let outcome = try ListUseCase(ListRequest(registry: registryOptions.registry.path), progress: reporter).run()
                let text: String
                if let format {
                    text = outcome.records.map { RecordFormat.render(format, $0) }.joined(separator: "\n")
                } else {
                    text = RecordFormat.table(outcome.records)
                }
                reporter.summary(try JSONValue.encoding(outcome), text: text)
            }
        }
    }
}

/// The record output of `bam list`.
enum RecordFormat {
    static let variables = ["turnkey_version", "server_id", "created", "updated", "address", "label", "size", "skpp", "key", "id"]

    static func value(_ name: String, _ r: HubRecord) -> String {
        switch name {
        case "id": return r.backupID
        case "label": return label(r)
        case "turnkey_version": return r.turnkeyVersion
        case "server_id": return r.serverID.isEmpty ? "-" : r.serverID
        case "created": return r.dateCreated
        case "updated": return r.dateUpdated.isEmpty ? "-" : r.dateUpdated
        case "size": return megabytes(r.size)
        case "address": return r.address
        case "key": return r.key
        case "skpp": return r.skpp ? "Yes" : "No"
        default: return "%" + name
        }
    }

    static func label(_ r: HubRecord) -> String { r.description.isEmpty ? r.turnkeyVersion : r.description }

    static func megabytes(_ bytes: Int64) -> String { ByteCount.megabytes(bytes) }

    /// Replaces `%name` (longest names first, so `%id` never eats a longer one) and `\n`, `\t`.
    static func render(_ format: String, _ r: HubRecord) -> String {
        var out = ""
        var rest = Substring(format)
        while let c = rest.first {
            if c == "%", let name = variables.first(where: { rest.dropFirst().hasPrefix($0) }) {
                out += value(name, r)
                rest = rest.dropFirst(1 + name.count)
            } else if c == "\\", rest.dropFirst().first == "n" {
                out += "\n"; rest = rest.dropFirst(2)
            } else if c == "\\", rest.dropFirst().first == "t" {
                out += "\t"; rest = rest.dropFirst(2)
            } else {
                out.append(c); rest = rest.dropFirst()
            }
        }
        return out
    }

    static func day(_ date: String) -> String { date.isEmpty ? "-" : String(date.prefix(10)) }

    static func table(_ records: [HubRecord]) -> String {
        var lines = ["# ID  SKPP  Created     Updated     Size (MB)  Label"]
        for r in records {
            let id = String(repeating: " ", count: max(0, 4 - r.backupID.count)) + r.backupID
            let skpp = (r.skpp ? "Yes" : "No").padding(toLength: 4, withPad: " ", startingAt: 0)
            let size = megabytes(r.size).padding(toLength: 9, withPad: " ", startingAt: 0)
            let updated = r.inProgress ? "(running) " : day(r.dateUpdated).padding(toLength: 10, withPad: " ", startingAt: 0)
            lines.append("\(id)  \(skpp)  \(day(r.dateCreated).padding(toLength: 10, withPad: " ", startingAt: 0))  \(updated)  \(size)  \(label(r))")
        }
        return lines.joined(separator: "\n")
    }
}
