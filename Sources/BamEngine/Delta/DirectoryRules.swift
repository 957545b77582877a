/// The rules that name direct children of one directory, found once per
/// directory so each entry costs a comparison against only these (usually
/// none) rather than against the whole rule list.
struct DirectoryRules {
    struct Entry {
        var name: CompiledPathRule.Component
        var isIncluded: Bool
        var order: Int
    }

    var entries: [Entry]

    static let none = DirectoryRules(entries: [])

    /// The decision of the last rule naming the child `name`; nil when no
    /// rule names it, so the nearest listed ancestor decides.
    func decision(forName name: UnsafeBufferPointer<UInt8>) -> Bool? {
        if entries.isEmpty { return nil }
        var best: Entry?
        for entry in entries where entry.order > (best?.order ?? -1) && entry.name.matches(name) {
            best = entry
        }
        return best?.isIncluded
    }

    func decision(forName name: [UInt8]) -> Bool? { name.withUnsafeBufferPointer { decision(forName: $0) } }
}
