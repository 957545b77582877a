import Foundation
import BamEngine
import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// A token for every form, bound to the Webmin session (SESSION_ID) or,
/// with HTTP Basic logins that have no session, to the user: an HMAC over
/// it with a random per-module secret kept 0600 under WEBMIN_VAR. Another
/// site cannot read it, so it cannot forge a form post that carries it.
public struct CSRFToken {
    public static let fieldName = "csrf"
    let secret: SymmetricKey

    public init(stateDirectory: String) throws {
        secret = SymmetricKey(data: try Self.loadOrCreateSecret(stateDirectory + "/csrf.secret"))
    }

    public func token(user: String, sessionID: String?) -> String {
        let binding = sessionID.map { "session\u{0}" + $0 } ?? ("user\u{0}" + user)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(("bam-webmin-csrf\u{0}" + binding).utf8), using: secret)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison.
    public func isValid(_ candidate: String?, user: String, sessionID: String?) -> Bool {
        guard let candidate else { return false }
        let expected = Array(token(user: user, sessionID: sessionID).utf8)
        let given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for i in expected.indices { difference |= expected[i] ^ given[i] }
        return difference == 0
    }

    static func loadOrCreateSecret(_ path: String) throws -> [UInt8] {
        if Posix.fileExists(path) {
            let bytes = try Posix.readFile(path)
            var st = stat()
            if lstat(path, &st) == 0, st.st_mode & 0o077 != 0 || (st.st_mode & S_IFMT) != S_IFREG {
                throw CGIError.forbidden("\(path) must be a regular file only root can read (mode 0600)")
            }
            if bytes.count >= 32 { return bytes }
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        // O_EXCL: if two requests race, the loser reads the winner's secret.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 {
            if errno == EEXIST { return try Posix.readFile(path) }
            throw BamError.io(path: path, operation: "create", errno: errno)
        }
        defer { close(fd) }
        try Posix.writeAll(fd, bytes, path: path)
        return bytes
    }
}
