import Foundation

/// Where the web pages' templates are: `--templates DIR`, else
/// `$BAM_HUB_TEMPLATES`, else the packaged `/usr/share/bam-hub/templates`,
/// else `templates/hub` under the working directory (development, tests).
public enum TemplateDirectory {
    public static let packaged = "/usr/share/bam-hub/templates"

    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit { return explicit }
        if let env = environment["BAM_HUB_TEMPLATES"], !env.isEmpty { return env }
        if FileManager.default.fileExists(atPath: packaged + "/layout-top.mustache") { return packaged }
        return FileManager.default.currentDirectoryPath + "/templates/hub"
    }
}
