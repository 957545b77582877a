import Foundation
import Testing

/// What a test needs beyond the toolchain, GnuPG and a writable /tmp: the
/// real servers and tools the full run (`make test`) installs and starts.
/// A test or suite says so with `.needs(...)`; `make check`, the fast
/// loop, sets `BAM_TEST_STANDALONE=1` and runs only the tests that need
/// none of them. In the full run they all run, and a missing part fails
/// its tests (never skips them).
public enum TestNeed: String, Sendable {
    /// Real S3 servers on 127.0.0.1: moto (and its STS) and `rclone serve s3`.
    case s3 = "S3 servers"
    /// OpenSSH's sshd (and ssh-keygen) on 127.0.0.1, started by the test.
    case sftp = "an OpenSSH server"
    /// WebDAV servers on 127.0.0.1 over TLS: `rclone serve webdav` and
    /// Apache httpd with mod_dav.
    case webdav = "WebDAV servers"
    /// An FTPS server on 127.0.0.1 (vsftpd in a throwaway configuration).
    case ftps = "an FTPS server"
    /// A test CA and certificates made with python3-cryptography.
    case tls = "a test CA"
    /// duplicity 0.8, the format oracle.
    case duplicity
    /// MariaDB and PostgreSQL servers started by the test.
    case databases
    /// Headless Chromium.
    case browser
    /// A Debian root made with mmdebstrap, used with chroot as root.
    case debianRoot = "a Debian root"

    /// Whether this run is the fast loop (`make check`).
    public static var standaloneOnly: Bool {
        ProcessInfo.processInfo.environment["BAM_TEST_STANDALONE"] == "1"
    }
}

extension Trait where Self == ConditionTrait {
    /// Marks a test or suite as needing `needs`: left out of `make check`.
    public static func needs(_ needs: TestNeed...) -> Self {
        .enabled(
            if: !TestNeed.standaloneOnly,
            Comment(rawValue: "needs \(needs.map(\.rawValue).joined(separator: ", ")): make check leaves it out"))
    }
}
