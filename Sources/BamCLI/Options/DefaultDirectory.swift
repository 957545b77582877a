import Foundation

/// The directories a command uses when no option names them: the one the
/// environment names, else the packaged default.
enum DefaultDirectory {
    /// `--cache-dir`, else `$BAM_CACHE`, else /var/cache/bam.
    static func cache(_ given: String?) -> String { given ?? environment("BAM_CACHE") ?? "/var/cache/bam" }

    /// `--conf-dir`, else `$BAM_CONF`, else /etc/bam.
    static func conf(_ given: String?) -> String { given ?? environment("BAM_CONF") ?? "/etc/bam" }

    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
