/// Answers `PathLimits.listedDecision` for a stream of paths that arrive in
/// sorted order (dirindex entries), keeping the decisions of the current
/// path's ancestors on a stack so each path costs one lookup among the
/// rules of its parent directory instead of a walk over every ancestor.
final class PathDecisionCache {
    private struct Level {
        var path: [UInt8]
        /// Decision of the nearest listed ancestor-or-self; nil when none.
        var decision: Bool?
        var childRules: DirectoryRules
    }

    private let limits: PathLimits
    private var stack: [Level]

    init(_ limits: PathLimits) {
        self.limits = limits
        let root: [UInt8] = [PathBytes.slash]
        stack = [Level(path: root, decision: limits.exactDecision([]), childRules: limits.rules(forChildrenOf: root))]
    }

    /// The decision of the nearest listed ancestor-or-self of `path`.
    func decision(_ path: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard path.count > 1, let lastSlash = path.lastIndex(of: PathBytes.slash) else { return stack[0].decision }
        let parent = UnsafeBufferPointer(rebasing: path[0..<max(lastSlash, 1)])
        let name = UnsafeBufferPointer(rebasing: path[(lastSlash + 1)...])

        // Drop levels that are not ancestors-or-self of the parent.
        while stack.count > 1 {
            let top = stack[stack.count - 1].path
            let keep = top.withUnsafeBufferPointer { t in
                PathBytes.compare(t, parent) == 0 || PathBytes.isStrictlyBelow(parent, t)
            }
            if keep { break }
            stack.removeLast()
        }
        // Push the missing levels down to the parent.
        while true {
            let top = stack[stack.count - 1]
            if top.path.withUnsafeBufferPointer({ PathBytes.compare($0, parent) == 0 }) { break }
            let start = top.path.count == 1 ? 1 : top.path.count + 1
            var end = start
            while end < parent.count && parent[end] != PathBytes.slash { end += 1 }
            let component = UnsafeBufferPointer(rebasing: parent[start..<end])
            let childPath = Array(parent[0..<end])
            let decision = top.childRules.decision(forName: component) ?? top.decision
            stack.append(Level(path: childPath, decision: decision, childRules: limits.rules(forChildrenOf: childPath)))
        }
        let top = stack[stack.count - 1]
        return top.childRules.decision(forName: name) ?? top.decision
    }

    func decision(_ path: [UInt8]) -> Bool? { path.withUnsafeBufferPointer { decision($0) } }
}
