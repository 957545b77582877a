import Foundation

/// The registry's link to a Hub: `hub` (the Hub's URL, so every later
/// command reaches the Hub `bam init` used), `sub_apikey` (this server's
/// subkey, as the original names it) and `hub_ca_file` (the CA file `bam
/// init --ca-file` checked the Hub's certificate against, so `status`,
/// `list`, `passphrase` and `prune` check it the same way). All 0600 like
/// every registry file; the subkey is a credential.
extension Registry {
    public var hubURLPath: String { path + "/hub" }
    public var subkeyPath: String { path + "/sub_apikey" }
    public var hubCAFilePath: String { path + "/hub_ca_file" }

    /// Whether `bam init APIKEY` linked this registry to a Hub.
    public var isHubLinked: Bool { Posix.fileExists(subkeyPath) }

    public func saveHubLink(url: String, subkey: String, caFile: String? = nil) throws {
        try Posix.makeDirectories(path, mode: 0o700)
        try Posix.writeFileAtomically(hubURLPath, Array((url + "\n").utf8), mode: 0o600)
        try Posix.writeFileAtomically(subkeyPath, Array((subkey + "\n").utf8), mode: 0o600)
        if let caFile {
            // Kept absolute: later commands run from other directories.
            let absolute = caFile.hasPrefix("/") ? caFile : FileManager.default.currentDirectoryPath + "/" + caFile
            try Posix.writeFileAtomically(hubCAFilePath, Array((absolute + "\n").utf8), mode: 0o600)
        } else {
            unlink(hubCAFilePath)
        }
    }

    /// A client for the linked Hub: the URL from `hub` (else `$BAM_HUB_URL`
    /// or the placeholder) and the saved subkey.
    public func hubClient(environment: [String: String] = ProcessInfo.processInfo.environment, caFile: String? = nil) throws -> HubClient {
        try hubClient(defaultURL: HubClient.defaultURL(environment: environment), caFile: caFile)
    }

    /// A client for the linked Hub: the URL from `hub`, else `defaultURL`
    /// (what a front end in-process passes instead of `$BAM_HUB_URL`).
    public func hubClient(defaultURL: String, caFile: String? = nil) throws -> HubClient {
        guard isHubLinked else {
            throw BamError.registry("\(path) is not linked to a Hub: run 'bam init APIKEY' (or give --address)")
        }
        let subkey = try readLine(subkeyPath)
        guard !subkey.isEmpty else { throw BamError.corrupt(what: subkeyPath, reason: "empty subkey") }
        let url = Posix.fileExists(hubURLPath) ? try readLine(hubURLPath) : defaultURL
        // A CA given now wins; else the one the link was made with.
        let linkedCAFile = Posix.fileExists(hubCAFilePath) ? try readLine(hubCAFilePath) : ""
        return try HubClient(url: url.isEmpty ? defaultURL : url, subkey: subkey, caFile: caFile ?? (linkedCAFile.isEmpty ? nil : linkedCAFile))
    }

    private func readLine(_ file: String) throws -> String {
        String(decoding: try Posix.readFile(file), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
