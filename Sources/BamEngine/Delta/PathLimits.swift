/// Decides which paths a path list selects, with the original's rules: the
/// nearest listed ancestor (or the path itself) decides; when several rules
/// name the same path the last one wins; globs match one component at a
/// time; a path with no listed ancestor is included only when the list has
/// no positive entries (so `-/etc/foo` alone means "everything but").
///
/// Globs are matched as patterns rather than expanded against the file
/// system as the original did, so a rule like `-/etc/passwd*` also covers
/// index entries whose files no longer exist.
public struct PathLimits: Sendable {
    /// The rules in the order given; later rules win over earlier ones.
    public let rules: [PathRule]
    /// True when at least one rule includes.
    public let hasPositiveRules: Bool

    let compiled: [CompiledPathRule]
    /// Indexes into `compiled` by component count.
    private let byDepth: [Int: [Int]]

    public init(_ rules: [PathRule]) {
        self.rules = rules
        hasPositiveRules = rules.contains { $0.isIncluded }
        compiled = rules.enumerated().map { CompiledPathRule($1, order: $0) }
        var byDepth: [Int: [Int]] = [:]
        for (i, rule) in compiled.enumerated() { byDepth[rule.depth, default: []].append(i) }
        self.byDepth = byDepth
    }

    /// Whether `path` (absolute) is selected by the list.
    public func isIncluded(_ path: String) -> Bool {
        isIncluded(Array((PathBytes.normalize(path) ?? path).utf8))
    }

    /// Whether `path` (absolute, normalized) is selected by the list.
    public func isIncluded(_ path: [UInt8]) -> Bool {
        listedDecision(path) ?? !hasPositiveRules
    }

    /// The decision of the nearest listed ancestor-or-self of `path`; nil
    /// when no rule names the path or any ancestor.
    public func listedDecision(_ path: [UInt8]) -> Bool? {
        var components = PathBytes.components(path)
        while true {
            if let decision = exactDecision(components) { return decision }
            if components.isEmpty { return nil }
            components.removeLast()
        }
    }

    /// The decision of the last rule naming exactly the path made of
    /// `components`; nil when none does.
    func exactDecision(_ components: [[UInt8]]) -> Bool? {
        guard let candidates = byDepth[components.count] else { return nil }
        for index in candidates.reversed() {
            let rule = compiled[index]
            if rule.prefixMatches(components) { return rule.isIncluded }
        }
        return nil
    }

    /// The rules naming direct children of `directory`.
    func rules(forChildrenOf directory: [UInt8]) -> DirectoryRules {
        var depth = 0
        if !(directory.count == 1 && directory[0] == PathBytes.slash) {
            depth = directory.reduce(0) { $0 + ($1 == PathBytes.slash ? 1 : 0) }
        }
        guard let candidates = byDepth[depth + 1] else { return .none }
        var cached: [[UInt8]]?
        let components = { () -> [[UInt8]] in
            if let cached { return cached }
            cached = PathBytes.components(directory)
            return cached!
        }
        var entries: [DirectoryRules.Entry] = []
        for index in candidates {
            let rule = compiled[index]
            if rule.isChildRule(ofDirectory: directory, components: components) {
                entries.append(.init(name: rule.components.last!, isIncluded: rule.isIncluded, order: rule.order))
            }
        }
        return DirectoryRules(entries: entries)
    }

    /// How to find the included paths strictly below a directory that is
    /// itself not included: nil when no positive rule reaches below it;
    /// the literal child names to look up when every such rule names its
    /// next component literally; `.list` when a glob needs the listing.
    enum DescentPlan: Equatable {
        case probe([[UInt8]])
        case list
    }

    func descentPlan(below directory: [UInt8]) -> DescentPlan? {
        let components = PathBytes.components(directory)
        var names: [[UInt8]] = []
        var needsListing = false
        for rule in compiled where rule.isIncluded && rule.depth > components.count {
            guard rule.prefixMatches(components) else { continue }
            let next = rule.components[components.count]
            if next.isGlob { needsListing = true } else if !names.contains(next.bytes) { names.append(next.bytes) }
        }
        if needsListing { return .list }
        return names.isEmpty ? nil : .probe(names)
    }
}
