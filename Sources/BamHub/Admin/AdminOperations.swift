import BamEngine
import Foundation

/// What the `bam-hub` admin commands do, against the same store the server
/// uses. Each checks its input fully before changing anything.
public enum AdminOperations {
    /// Creates an account and returns it with its API key (shown once; only
    /// its hash is stored).
    public static func addAccount(store: HubStore, email: String) throws -> (Account, String) {
        let trimmed = email.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !trimmed.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) else {
            throw HubStoreError.invalid("EMAIL \(email): not an email address")
        }
        let key = Secrets.newApiKey()
        let account = try store.addAccount(
            email: trimmed.lowercased(), apiKeyHash: Secrets.sha256Hex(key),
            storageToken: Secrets.randomHex(bytes: 8), now: HubDate.now())
        return (account, key)
    }

    public static func addRegion(store: HubStore, region: Region) throws {
        guard !region.name.isEmpty, region.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw HubStoreError.invalid("NAME \(region.name): use letters, digits, - and _")
        }
        try RecordStorage.validate(endpoint: region.endpoint)
        guard !region.bucket.isEmpty, !region.bucket.contains("/") else {
            throw HubStoreError.invalid("--bucket \(region.bucket): a bucket (or directory) name without /")
        }
        guard (-90...90).contains(region.latitude) else { throw HubStoreError.invalid("--lat \(region.latitude): must be within -90...90") }
        guard (-180...180).contains(region.longitude) else { throw HubStoreError.invalid("--lon \(region.longitude): must be within -180...180") }
        if (region.accessKey == nil) != (region.secretKey == nil) {
            throw HubStoreError.invalid("--access-key and --secret-key go together")
        }
        if region.isFile {
            guard region.stsRole == nil, region.accessKey == nil, !region.iamUsers else {
                throw HubStoreError.invalid("a file:// region takes no keys, no --sts-role and no --iam-users")
            }
        } else if region.iamUsers && region.stsRole != nil {
            throw HubStoreError.invalid("choose one of --sts-role and --iam-users")
        } else if region.accessKey == nil {
            throw HubStoreError.invalid("an S3 region needs --access-key and --secret-key (with --sts-role, the keys that may assume it)")
        }
        try store.addRegion(region)
    }

    /// Imports a profile directory (`dirindex.conf`, `dirindex`, `packages`)
    /// or a tar.gz of one. The profile id is `id` or the directory's (the
    /// archive's) name; the timestamp is the import time, so clients with an
    /// older copy download it again.
    public static func importProfile(store: HubStore, path: String, id: String?) throws -> ProfileArchive {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HubStoreError.invalid("\(path): no such file or directory")
        }
        let base = URL(fileURLWithPath: path).lastPathComponent
        let content: [UInt8]
        var profileId = id
        if isDirectory.boolValue {
            for member in ["dirindex.conf", "dirindex", "packages"] where !FileManager.default.fileExists(atPath: path + "/" + member) {
                throw HubStoreError.invalid("\(path) is not a profile: \(member) is missing")
            }
            content = try runTar([
                "-C", path, "--owner=0", "--group=0", "--numeric-owner", "-czf", "-",
                "./dirindex.conf", "./dirindex", "./packages",
            ])
            profileId = profileId ?? base
        } else {
            content = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let listing = String(decoding: try runTar(["-tzf", path]), as: UTF8.self)
            let members = Set(listing.split(separator: "\n").map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : String($0) })
            for member in ["dirindex.conf", "dirindex", "packages"] where !members.contains(member) {
                throw HubStoreError.invalid("\(path) is not a profile archive: \(member) is missing")
            }
            profileId = profileId ?? base.replacingOccurrences(of: ".tar.gz", with: "").replacingOccurrences(of: ".tgz", with: "")
        }
        guard let profileId, !profileId.isEmpty, !profileId.contains("/") else {
            throw HubStoreError.invalid("profile id \(profileId ?? ""): must be non-empty without /")
        }
        let profile = ProfileArchive(profileId: profileId, timestamp: HubDate.now(), content: content)
        try store.putProfile(profile)
        return profile
    }

    private static func runTar(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exit = ProcessExit(process)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        exit.wait()
        guard process.terminationStatus == 0 else {
            throw HubStoreError.invalid("tar \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return Array(data)
    }
}
