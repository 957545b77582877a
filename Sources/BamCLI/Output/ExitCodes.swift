import ArgumentParser
import BamEngine

/// The one place that maps engine errors to exit codes. Scripts rely on
/// these numbers; README.md documents them.
///
/// 0 success · 1 failure (or, for verify, a difference) · 10 incompatible
/// appliance · 11 wrong passphrase · 12 damaged or missing backup data ·
/// 13 unsafe path refused · 14 another run holds the lock · 64 bad usage.
enum BamExitCode {
    static let failure: Int32 = 1
    static let incompatible: Int32 = 10
    static let wrongPassphrase: Int32 = 11
    static let damaged: Int32 = 12
    static let unsafe: Int32 = 13
    static let locked: Int32 = 14

    static func code(for error: Error) -> Int32 {
        guard let error = error as? BamError else { return failure }
        switch error {
        case .wrongPassphrase: return wrongPassphrase
        case .corrupt, .missing: return damaged
        case .unsafePath: return unsafe
        case .incompatible: return incompatible
        case .locked: return locked
        case .io, .invalid, .registry, .external: return failure
        }
    }
}
