import BamEngine
import Foundation

/// Collects an in-process operation's warnings for its result page, as
/// the lines `bam` would have written to stderr.
final class WarningLines: ProgressReporter {
    private(set) var lines: [String] = []
    func report(_ event: ProgressEvent) {
        if case .warning(let message) = event { lines.append("bam: warning: " + message) }
    }
}

extension PageEnvironment {
    /// Runs a short engine operation in the request and shows its outcome
    /// on the result page: its summary (and warnings), or its error with the
    /// exit code the CLI gives it (`BamExitStatus.of`).
    func showOperation(title: String, what: String, _ operation: (WarningLines) throws -> String) {
        let warnings = WarningLines()
        var status = BamExitStatus.success
        var output: String
        do {
            output = try operation(warnings)
        } catch {
            status = BamExitStatus.of(error)
            output = "bam: error: \(error)"
        }
        output = (warnings.lines + [output]).joined(separator: "\n") + "\n"
        page(
            title: title, template: "command_result",
            [
                "ok": status == .success, "status": Int(status.rawValue), "what": what, "output": output,
            ])
    }
}
