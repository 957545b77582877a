import Foundation
import Testing
@testable import BamEngine

/// The exit codes have one definition (`BamExitStatus`); `bam --help` and
/// the README table say what it says, and `bam status` keeps its own codes.
@Suite("exit codes: one definition, documented where users look")
struct ExitStatusDocumentationTests {
    @Test("bam --help lists every exit code with its meaning")
    func helpListsEveryCode() throws {
        let box = try CLISandbox("exit-help")
        let help = try box.bam(["--help"])
        #expect(help.status == 0)
        for code in BamExitStatus.allCases {
            #expect(help.stdout.contains("\(code.rawValue)  \(code.meaning)"), "bam --help lacks exit code \(code.rawValue)")
        }
        // Help text is wrapped to the terminal: compare words.
        let status = try box.bam(["status", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(status.contains("0 backed up, 10 initialised but never backed up, 11 not initialised"), "\(status)")
    }

    @Test("the README's exit-code table has a row for each code and no other")
    func readmeTableMatches() throws {
        let readme = try String(contentsOfFile: HubTestWorld.packageDirectory + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "### Exit codes").dropFirst().first)
        let rows = section.components(separatedBy: "\n\n").first { $0.contains("| code |") } ?? ""
        let codes = rows.split(separator: "\n").compactMap { line -> Int32? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.first.flatMap { Int32($0) }
        }
        #expect(codes == BamExitStatus.allCases.map(\.rawValue))
    }

    @Test("bam status: 11 before init, 10 before the first backup")
    func statusCodes() throws {
        let box = try CLISandbox("exit-status")
        #expect(try box.bam(["status"]).status == StatusExitStatus.notInitialised.rawValue)
        #expect(try box.bam(["init", "--solo"]).status == 0)
        #expect(try box.bam(["status"]).status == StatusExitStatus.noBackup.rawValue)
    }
}
