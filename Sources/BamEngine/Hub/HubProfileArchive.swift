import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Hub's profile for this server's profile id, kept in the registry's
/// `profile/` with two files of its own beside the Hub's tar.gz contents
/// (as the original keeps them): `profile_id` and `stamp` (the Hub's
/// archive timestamp). A newer archive replaces the directory in one
/// rename, so a backup never sees half a profile.
public enum HubProfileArchive {
    public struct Stored: Equatable, Sendable {
        public var profileID: String
        public var stamp: Int64
    }

    /// The id and stamp of the profile in `directory`; nil when it did not
    /// come from the Hub (no `stamp`) or there is none.
    public static func stored(in directory: String) -> Stored? {
        guard let id = try? readLine(directory + "/profile_id"), !id.isEmpty,
            let stampText = try? readLine(directory + "/stamp"), let stamp = Int64(stampText)
        else { return nil }
        return Stored(profileID: id, stamp: stamp)
    }

    /// Whether a Hub profile stamped `timestamp` should replace what
    /// `directory` holds for `profileID`.
    public static func isNewer(_ timestamp: Int64, profileID: String, than directory: String) -> Bool {
        guard let stored = stored(in: directory), stored.profileID == profileID,
            Posix.fileExists(directory + "/" + DirIndexConf.fileName)
        else { return true }
        return timestamp > stored.stamp
    }

    /// Unpacks `archive` (tar.gz of `./dirindex.conf ./dirindex ./packages`)
    /// into `directory`, replacing it. Entries that are not plain files or
    /// directories, or that leave the archive's root, are refused.
    public static func install(_ archive: [UInt8], profileID: String, stamp: Int64, into directory: String) throws {
        let parent = (directory as NSString).deletingLastPathComponent
        try Posix.makeDirectories(parent, mode: 0o700)
        let work = try Posix.makeTemporaryDirectory(in: parent, prefix: ".profile-new-")
        var cleanup = [work]
        defer { for path in cleanup { try? Posix.removeTree(Array(path.utf8)) } }
        let tarball = work + "/archive.tar.gz"
        try Posix.writeFileAtomically(tarball, archive, mode: 0o600)

        let listing = try ProcessRunner.run(["/bin/tar", "-tvzf", tarball])
        guard listing.status == 0 else {
            throw BamError.corrupt(what: "the Hub's profile archive for \(profileID)", reason: listing.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for line in listing.output.split(separator: "\n") {
            guard let kind = line.first, kind == "-" || kind == "d" else {
                throw BamError.unsafePath(path: String(line), reason: "the Hub's profile archive may hold only files and directories")
            }
        }
        let names = try ProcessRunner.check(["/bin/tar", "-tzf", tarball]).output.split(separator: "\n")
        for name in names where name.hasPrefix("/") || name.split(separator: "/").contains("..") {
            throw BamError.unsafePath(path: String(name), reason: "outside the profile directory")
        }

        let unpacked = work + "/profile"
        try Posix.makeDirectories(unpacked, mode: 0o700)
        try ProcessRunner.check(["/bin/tar", "-xzf", tarball, "-C", unpacked, "--no-same-owner", "--no-same-permissions"])
        guard Posix.fileExists(unpacked + "/" + DirIndexConf.fileName) else {
            throw BamError.corrupt(what: "the Hub's profile archive for \(profileID)", reason: "it has no \(DirIndexConf.fileName)")
        }
        // Registry modes: 0700 directories, 0600 files, whatever the archive said.
        for name in try FileManager.default.subpathsOfDirectory(atPath: unpacked) {
            let path = unpacked + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { throw BamError.io(path: path, operation: "lstat", errno: errno) }
            if chmod(path, st.st_mode & S_IFMT == S_IFDIR ? 0o700 : 0o600) != 0 {
                throw BamError.io(path: path, operation: "chmod", errno: errno)
            }
        }
        _ = try Profile.load(unpacked)  // refuse a profile bam cannot read before it replaces a good one
        try Posix.writeFileAtomically(unpacked + "/profile_id", Array((profileID + "\n").utf8), mode: 0o600)
        try Posix.writeFileAtomically(unpacked + "/stamp", Array("\(stamp)\n".utf8), mode: 0o600)

        let old = work + "/old"
        if Posix.fileExists(directory) {
            guard rename(directory, old) == 0 else { throw BamError.io(path: directory, operation: "rename", errno: errno) }
        }
        guard rename(unpacked, directory) == 0 else {
            let code = errno
            _ = rename(old, directory)
            throw BamError.io(path: directory, operation: "rename", errno: code)
        }
        cleanup = [work]
    }

    private static func readLine(_ file: String) throws -> String {
        String(decoding: try Posix.readFile(file), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
