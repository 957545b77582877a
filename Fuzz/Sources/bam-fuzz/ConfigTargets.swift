import BamEngine

/// Configuration text: the conf directory, and what the Webmin module and
/// the Hub write into it from form posts.
enum ConfigTargets {
    static func conf(_ input: [UInt8]) {
        _ = try? BamConf.parse(text(input), file: "conf")
    }

    /// The overrides file, then each line as a command-line limit.
    static func overrides(_ input: [UInt8]) {
        _ = try? Overrides.parse(text(input), file: "overrides")
        for line in lines(input) { _ = try? Overrides.parseLimit(text(line)) }
    }
}
