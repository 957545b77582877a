import ArgumentParser
import BamEngine
import Foundation

/// `--json` and the error handling every command shares: run the body,
/// print its summary as text or JSON, and turn a thrown error into a
/// message on stderr (or an `exit_error` object) and a meaningful exit code.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print a machine-readable JSON summary (and errors as JSON) on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print no progress.")
    var quiet = false

    func run(_ body: (CommandReporter) throws -> Void) throws {
        let reporter = CommandReporter(json: json, quiet: quiet)
        do {
            try body(reporter)
            reporter.finish()
        } catch let error as ExitCode {
            reporter.finish()
            throw error
        } catch {
            reporter.finish()
            let code = BamExitStatus.of(error).rawValue
            if json {
                reporter.emitJSON(.object([("type", .string("exit_error")), ("code", .int(Int64(code))), ("message", .string("\(error)"))]))
            } else {
                FileHandle.standardError.write(Data("bam: error: \(Posix.controlsEscaped("\(error)"))\n".utf8))
            }
            throw ExitCode(code)
        }
    }
}
