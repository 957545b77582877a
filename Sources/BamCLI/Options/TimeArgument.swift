import ArgumentParser
import BamEngine

/// `--time` of restore and verify: parsed in `validate()` too, so a value
/// the engine refuses (out of range, an overflowing age) is a usage error,
/// exit 64, before anything runs.
enum TimeArgument {
    static func parse(_ text: String) throws -> Int64 {
        try BackupTime.parseUserTime(text)
    }

    static func validate(_ text: String) throws {
        do { _ = try parse(text) } catch { throw ValidationError("--time: \(error)") }
    }
}
