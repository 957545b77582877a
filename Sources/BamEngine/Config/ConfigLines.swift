/// Splits configuration text into numbered lines. Swift treats "\r\n" as
/// one Character, so a plain split on "\n" would miss CRLF files.
enum ConfigLines {
    static func numbered(_ text: String) -> [(number: Int, text: Substring)] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .enumerated()
            .map { ($0.offset + 1, $0.element) }
    }
}
