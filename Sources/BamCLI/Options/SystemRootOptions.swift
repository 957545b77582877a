import ArgumentParser
import Foundation

/// Where a whole-system command works: the root directory that stands for
/// `/` (tests and rescue systems use another) and the configuration
/// directory (`conf`, `overrides`, `hooks.d`).
struct SystemRootOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The directory that stands for /.", valueName: "DIR"))
    var root = "/"

    @Option(
        name: .customLong("conf-dir"),
        help: ArgumentHelp("Configuration directory with conf, overrides and hooks.d (default: $BAM_CONF or /etc/bam).", valueName: "DIR"))
    var confDirectory: String?

    var conf: String { DefaultDirectory.conf(confDirectory) }

    func validate() throws {
        guard root.hasPrefix("/") else { throw ValidationError("--root must be an absolute path") }
    }
}
