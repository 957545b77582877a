/// Groups the objects found on a target into chains (duplicity's rules:
/// each full set starts a chain; an incremental joins the chain whose end
/// equals its start; a set counts once its manifest exists).
public struct ChainResolver {
    public private(set) var chains: [BackupChain] = []
    /// Sets without a manifest (an interrupted run) or whose predecessor is
    /// missing: they take no part in restores and are reported.
    public private(set) var strays: [BackupSet] = []

    public init(objects: [StoredObject]) {
        var sets: [String: BackupSet] = [:]
        for object in objects {
            guard let name = BackupFileName.parse(object.name) else { continue }
            let key = "\(name.incremental ? "i" : "f")\(name.start ?? 0)-\(name.end)"
            var set = sets[key] ?? BackupSet(incremental: name.incremental, start: name.start, end: name.end)
            switch name.kind {
            case .volume(let n): set.volumes[n] = name; set.volumeSizes[n] = object.size
            case .manifest: set.manifest = name
            case .signatures: set.signatures = name
            }
            sets[key] = set
        }
        let complete = sets.values.filter(\.isComplete)
        strays = sets.values.filter { !$0.isComplete }.sorted { $0.end < $1.end }
        let fulls = complete.filter { !$0.incremental }.sorted { $0.end < $1.end }
        var incrementals = complete.filter(\.incremental).sorted { $0.end < $1.end }
        for full in fulls {
            var chain = BackupChain(full: full)
            while let i = incrementals.firstIndex(where: { $0.start == chain.end }) {
                chain.incrementals.append(incrementals.remove(at: i))
            }
            chains.append(chain)
        }
        strays += incrementals
        strays.sort { $0.end < $1.end }
    }

    /// The newest chain, which an incremental backup continues.
    public var latest: BackupChain? { chains.last }

    /// The chain holding the newest set at or before `time`.
    public func chain(at time: Int64) -> BackupChain? {
        chains.last { $0.full.end <= time }
    }
}
