import Foundation

/// The module's config (`$WEBMIN_CONFIG/bam/config`, edited on Webmin's
/// Module Config page through config.info): where the bam program is and
/// which system it works on. Every value is checked to be an absolute path
/// (or a URL for the Hub), since each ends up in a command's argv.
public struct ModuleSettings {
    public var bamPath = "/usr/bin/bam"
    public var root = "/"
    public var confDirectory = "/etc/bam"
    public var registry = "/var/lib/bam"
    public var cacheDirectory = "/var/cache/bam"
    public var hubURL: String?

    public init(values: [String: String]) throws {
        func path(_ key: String, _ fallback: String) throws -> String {
            guard let v = values[key], !v.isEmpty else { return fallback }
            do { return try WebminInput.path(v, field: key) } catch {
                throw CGIError.forbidden("module config: \(error)")
            }
        }
        bamPath = try path("bam_path", bamPath)
        root = try path("root", root)
        confDirectory = try path("conf_dir", confDirectory)
        registry = try path("registry", registry)
        cacheDirectory = try path("cache_dir", cacheDirectory)
        if let hub = values["hub_url"], !hub.isEmpty {
            guard hub.hasPrefix("https://") || hub.hasPrefix("http://"), !hub.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
                throw CGIError.forbidden("module config: hub_url must be an http(s) URL")
            }
            hubURL = hub
        }
    }

    /// `--root` and `--conf-dir` for whole-system commands.
    public var systemArguments: [String] { ["--root", root, "--conf-dir", confDirectory] }
}
