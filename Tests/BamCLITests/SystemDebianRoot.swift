import Foundation
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Real Debian roots for the whole-system tests: a minbase bookworm made
/// once by mmdebstrap and cached as a tarball under /var/cache/bam-test
/// (keyed by a version string; bump it to rebuild), unpacked per test.
/// A missing mmdebstrap or network is a failure with a message, never a skip.
enum SystemDebianRoot {
    static let cacheDirectory = "/var/cache/bam-test"
    static let version = "bookworm-minbase-v1"
    static var tarball: String { cacheDirectory + "/" + version + ".tar" }

    /// The cached tarball, made first when missing.
    static func ensureTarball() throws -> String {
        if Posix.fileExists(tarball) { return tarball }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mmdebstrap") else {
            throw BamError.missing(what: "/usr/bin/mmdebstrap, needed to build the Debian test root (run scripts/install-deps.sh)")
        }
        try Posix.makeDirectories(cacheDirectory, mode: 0o755)
        let partial = tarball + ".partial"
        try run([
            "/usr/bin/mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar", "--quiet",
            "bookworm", partial, "http://deb.debian.org/debian",
        ])
        guard rename(partial, tarball) == 0 else { throw BamError.io(path: tarball, operation: "rename", errno: errno) }
        return tarball
    }

    /// Unpacks a fresh copy into `directory` (owners, modes, devices kept).
    static func unpack(into directory: String) throws {
        let tar = try ensureTarball()
        try Posix.makeDirectories(directory, mode: 0o755)
        try run(["/usr/bin/tar", "-xpf", tar, "--numeric-owner", "-C", directory])
    }

    /// Runs a command inside the root (chroot), failing with its output.
    @discardableResult
    static func chroot(_ root: String, _ arguments: [String]) throws -> String {
        try run(["/usr/sbin/chroot", root] + arguments)
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let outcome = try ProcessRunner.run(
            arguments,
            environment: [
                "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C",
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ])
        guard outcome.status == 0 else { throw BamError.external(ProcessRunner.failureMessage(outcome)) }
        return outcome.output
    }
}
