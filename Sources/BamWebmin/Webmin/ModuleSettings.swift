import Foundation

/// The module's config (`$WEBMIN_CONFIG/bam/config`, edited on Webmin's
/// Module Config page through config.info): which system the pages work
/// on. Every value is checked to be an absolute path (or a URL for the
/// Hub): each becomes a request's path, and the config is editable by
/// whoever has Webmin's config rights. (`bam_path` is read only by
/// install_check.pl: the pages never run it; the daily timer does.)
public struct ModuleSettings {
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
}
