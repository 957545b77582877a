import Foundation
import Testing

@testable import BamEngine

/// The original's real profiles, kept beside the repository in
/// `<repo>/../shared/reference/tklbam-profiles`. Tests that need them fail
/// (never skip) when they are missing.
enum ReferenceProfiles {
    /// `BAM_SHARED` (the shared folder) when set, else `../shared` beside the repository.
    static var directory: String {
        if let shared = ProcessInfo.processInfo.environment["BAM_SHARED"], !shared.isEmpty {
            return shared + "/reference/tklbam-profiles"
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../shared/reference/tklbam-profiles").standardized.path
    }

    static var drupal6: String { directory + "/turnkey-drupal6-2009.10-hardy-x86" }

    /// The path of a reference file, failing the test with a clear message
    /// when it is not there.
    static func require(_ relative: String) throws -> String {
        let path = directory + "/" + relative
        try #require(
            Posix.fileExists(path),
            "reference file \(path) is missing: the profile tests need shared/reference/tklbam-profiles beside the repository (or BAM_SHARED set to the shared folder)"
        )
        return path
    }
}
