import ArgumentParser
import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// `--time` of restore and verify: parsed in `validate()` too, so a value
/// the engine refuses (out of range, an overflowing age) is a usage error,
/// exit 64, before anything runs.
enum TimeArgument {
    static func parse(_ text: String) throws -> Int64 {
        try BackupTime.parseUserTime(text, now: Int64(Glibc.time(nil)))
    }

    static func validate(_ text: String) throws {
        do { _ = try parse(text) } catch { throw ValidationError("--time: \(error)") }
    }
}
