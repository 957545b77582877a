import Foundation
import Testing

@testable import BamEngine

/// The original's real profiles, kept beside the repository in
/// `<repo>/../shared/reference/tklbam-profiles`. Tests that need them fail
/// (never skip) when they are missing.
enum ReferenceProfiles {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../shared/reference/tklbam-profiles").standardized.path
    }

    static var drupal6: String { directory + "/turnkey-drupal6-2009.10-hardy-x86" }

    /// The path of a reference file, failing the test with a clear message
    /// when it is not there.
    static func require(_ relative: String) throws -> String {
        let path = directory + "/" + relative
        try #require(
            Posix.fileExists(path),
            "reference file \(path) is missing: the profile tests need /work/shared/reference/tklbam-profiles beside the repository"
        )
        return path
    }
}
