import ArgumentParser
import BamEngine

extension Bam {
    // Placeholder: filled in by the work on its issue.
    struct Internal: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not yet available)", shouldDisplay: false)
        func run() throws { throw ValidationError("'bam internal' is not available yet") }
    }
}
