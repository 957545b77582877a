import Foundation
import Testing

@testable import BamEngine

/// The original's real profiles, kept in the repository under
/// `Tests/Fixtures/tklbam-profiles` (see its README).
enum ReferenceProfiles {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/tklbam-profiles").standardized.path
    }

    static var drupal6: String { directory + "/turnkey-drupal6-2009.10-hardy-x86" }

    /// The path of a reference file, failing the test with a clear message
    /// when it is not there.
    static func require(_ relative: String) throws -> String {
        let path = directory + "/" + relative
        try #require(Posix.fileExists(path), "reference file \(path) is missing from the repository's Tests/Fixtures")
        return path
    }
}
