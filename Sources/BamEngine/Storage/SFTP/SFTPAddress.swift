import Foundation

/// `sftp://[USER@]HOST[:PORT]/PATH`, read as duplicity reads it: PATH is
/// relative to the login's home directory, and absolute when it starts
/// with a second slash (`sftp://host//srv/backups`). No password may be in
/// it: logins are by key.
public struct SFTPAddress: Equatable, Sendable {
    /// nil: the user bam runs as.
    public let user: String?
    public let host: String
    public let port: Int
    /// The directory as libcurl takes it: `/abs/dir` or `/~/rel/dir` (no
    /// trailing slash; `/~` for the home directory itself).
    public let directory: String

    public static let scheme = "sftp://"

    public init(parsing address: String) throws {
        func bad(_ why: String) -> StorageError {
            .unsupported("invalid SFTP address \(Posix.display(address)): \(why) (expected sftp://[USER@]HOST[:PORT]/PATH)")
        }
        guard address.hasPrefix(Self.scheme) else { throw bad("not an sftp:// address") }
        let rest = address.dropFirst(Self.scheme.count)
        guard let slash = rest.firstIndex(of: "/") else { throw bad("no path") }
        var authority = String(rest[..<slash])
        let rawPath = String(rest[rest.index(after: slash)...])

        var user: String?
        if let at = authority.lastIndex(of: "@") {
            let rawUser = String(authority[..<at])
            guard !rawUser.contains(":") else { throw bad("a password in the address is not accepted; log in with a key") }
            guard let decoded = rawUser.removingPercentEncoding, !decoded.isEmpty,
                decoded.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "/" })
            else { throw bad("the user name is empty or holds control characters") }
            user = decoded
            authority = String(authority[authority.index(after: at)...])
        }

        var host: String
        var port = 22
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unclosed [ in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw bad("bad port") }
                port = p
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { throw bad("bad IPv6 address") }
        } else {
            host = authority
            if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                    throw bad("the port must be a number from 1 to 65535")
                }
                port = p
            }
            guard !host.isEmpty, host.utf8.count <= 253,
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
            else { throw bad("bad host name") }
        }

        guard let decodedPath = rawPath.removingPercentEncoding else { throw bad("bad percent-encoding in the path") }
        guard !decodedPath.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw bad("control characters in the path")
        }
        let absolute = decodedPath.hasPrefix("/")
        let components = decodedPath.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else { throw bad("'.' or '..' in the path") }
        let joined = components.joined(separator: "/")
        if absolute {
            directory = "/" + joined
        } else {
            directory = joined.isEmpty ? "/~" : "/~/" + joined
        }
        self.user = user
        self.host = host
        self.port = port
    }

    /// The remote path of object `name` in the directory.
    func path(_ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    /// The directory as a listing URL names it (a trailing slash).
    var listingPath: String { directory == "/" ? "/" : directory + "/" }
}
