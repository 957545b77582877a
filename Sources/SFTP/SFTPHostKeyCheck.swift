import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Decides on the host key a server shows, from how libcurl matched it
/// against the known_hosts file: a known key passes; an unknown one passes
/// only when the caller accepts first-seen keys, and is then pinned (a line
/// appended to the file); a changed key never passes.
final class SFTPHostKeyCheck {
    let knownHostsFile: String
    let knownHostsName: String
    let acceptNew: Bool
    /// Why the key was refused, for the error after the transfer.
    private(set) var problem: SFTPHostKeyProblem?
    /// A failure to record an accepted key.
    private(set) var pinFailure: String?

    init(knownHostsFile: String, host: String, port: Int, acceptNew: Bool) {
        self.knownHostsFile = knownHostsFile
        let bare = host.contains(":") ? "[\(host)]" : host
        // OpenSSH's and libssh2's spelling of a host on another port.
        knownHostsName = port == 22 ? bare : "[\(host)]:\(port)"
        self.acceptNew = acceptNew
    }

    enum Match { case known, changed, missing }

    /// True to go on with the connection.
    func decide(key: [UInt8], match: Match) -> Bool {
        if match == .known { return true }
        let type = Self.keyType(of: key) ?? "unknown"
        if match == .missing && acceptNew && type != "unknown" {
            do {
                try pin(type: type, key: key)
                return true
            } catch {
                pinFailure = "could not record the host key in \(knownHostsFile): \(error)"
            }
        }
        problem = SFTPHostKeyProblem(
            knownHostsName: knownHostsName, keyType: type, key: key, changed: match == .changed, knownHostsFile: knownHostsFile)
        return false
    }

    /// The type a public key blob names in its first field (an SSH string:
    /// a 32-bit big-endian length, then the bytes), nil when the blob is
    /// not one: the key comes from the network.
    static func keyType(of blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, length <= 64, length <= blob.count - 4 else { return nil }
        let name = blob[4..<(4 + length)]
        guard name.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x40 || $0 == 0x2E }) else {
            return nil
        }
        return String(decoding: name, as: UTF8.self)
    }

    /// Serialises the appends of concurrent connections of this process.
    private static let pinLock = NSLock()

    /// Appends `name type base64` to the known_hosts file (made 0600 in a
    /// 0700 directory when missing), unless that very line is there.
    private func pin(type: String, key: [UInt8]) throws {
        let line = "\(knownHostsName) \(type) \(Data(key).base64EncodedString())\n"
        Self.pinLock.lock()
        defer { Self.pinLock.unlock() }
        let directory = (knownHostsFile as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if let existing = FileManager.default.contents(atPath: knownHostsFile),
            String(decoding: existing, as: UTF8.self).split(separator: "\n").contains(where: { $0 + "\n" == line })
        {
            return
        }
        let fd = open(knownHostsFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw SFTPError(kind: .localFile, code: 0, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        // A file that does not end with a newline would glue our line to its last.
        var st = stat()
        var text = line
        if fstat(fd, &st) == 0, st.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, st.st_size - 1) == 1, last != 0x0A { text = "\n" + line }
        }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SFTPError(kind: .localFile, code: 0, message: String(cString: strerror(errno)))
            }
            done += n
        }
        if fsync(fd) != 0 { throw SFTPError(kind: .localFile, code: 0, message: String(cString: strerror(errno))) }
    }
}
