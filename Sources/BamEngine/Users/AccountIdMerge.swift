/// Merges one id-keyed account file (passwd or group) of a backup ("old")
/// into the live system's ("new"), with the original's rules:
///
/// - a name only on the live system is kept as it is;
/// - a name in both takes the backup's fields with the live id;
/// - a name only in the backup keeps its id unless the live system or an
///   entry merged before it uses that id; then it takes the first id in
///   1000..65533 used by neither file nor any merged entry;
/// - names sharing one id in the backup (aliases, e.g. root and toor) are
///   merged after the others, those that keep their id first, and take the
///   id of the first alias merged; when the live entry of the same name has
///   a different id, it is kept as `<name>_orig`;
/// - `root` always exists;
/// - the result is sorted by id (ties in merge order), followed by the live
///   file's lines that are not entries.
///
/// Names are merged in backup file order, then the live-only names, so the
/// same inputs always give the same ids (the original iterated a Python
/// set, in no defined order).
struct AccountIdMerge {
    /// Where a merged entry came from: shadow entries follow it.
    enum Origin: Equatable {
        case backup
        case local
        /// The live entry of this name, renamed to `<name>_orig`.
        case localRenamed(from: [UInt8])
    }

    struct Merged {
        var entry: AccountEntry
        var origin: Origin
    }

    let kind: AccountFileKind
    let old: AccountFile
    let new: AccountFile

    /// The merged file, the origin of each merged entry by name, the id
    /// map (old id → merged id where they differ) and the `_orig` names.
    func merge() throws -> (file: AccountFile, origins: [[UInt8]: Origin], idMap: [UInt32: UInt32], renamed: [String]) {
        let idField = kind.idField!
        let oldEntries = Self.withRoot(old.entries, kind: kind)
        let newEntries = Self.withRoot(new.entries, kind: kind)

        var oldByName: [[UInt8]: AccountEntry] = [:]
        var oldNames: [[UInt8]] = []
        for entry in oldEntries {
            if oldByName.updateValue(entry, forKey: entry.nameBytes) == nil { oldNames.append(entry.nameBytes) }
        }
        var newByName: [[UInt8]: AccountEntry] = [:]
        var newNames: [[UInt8]] = []
        for entry in newEntries {
            if newByName.updateValue(entry, forKey: entry.nameBytes) == nil { newNames.append(entry.nameBytes) }
        }
        func id(_ entry: AccountEntry) -> UInt32 { entry.number(at: idField)! }

        var oldNamesById: [UInt32: [[UInt8]]] = [:]
        for name in oldNames { oldNamesById[id(oldByName[name]!), default: []].append(name) }
        let oldIds = Set(oldNamesById.keys)
        let newIds = Set(newNames.map { id(newByName[$0]!) })
        func aliases(_ name: [UInt8]) -> [[UInt8]] {
            guard let entry = oldByName[name] else { return [] }
            return oldNamesById[id(entry)]!.filter { $0 != name }
        }

        var merged: [Merged] = []
        var mergedIndex: [[UInt8]: Int] = [:]
        var mergedIds = Set<UInt32>()
        var idMap: [UInt32: UInt32] = [:]
        var renamed: [String] = []

        func insert(_ entry: AccountEntry, _ origin: Origin) {
            mergedIds.insert(id(entry))
            if let index = mergedIndex[entry.nameBytes] {
                merged[index] = Merged(entry: entry, origin: origin)
            } else {
                mergedIndex[entry.nameBytes] = merged.count
                merged.append(Merged(entry: entry, origin: origin))
            }
        }

        func firstFreeId(avoiding used: Set<UInt32>) throws -> UInt32 {
            for candidate in UInt32(1000)...UInt32(65533) where !used.contains(candidate) && !oldIds.contains(candidate) {
                return candidate
            }
            throw BamError.invalid("\(kind.rawValue): no free id left in 1000..65533")
        }

        func mergeEntry(_ name: [UInt8]) throws {
            let oldEntry = oldByName[name]
            let newEntry = newByName[name]
            guard var entry = oldEntry else {
                insert(newEntry!, .local)
                return
            }
            if let newEntry {
                entry.setNumber(id(newEntry), at: idField)
            } else if newIds.contains(id(entry)) || mergedIds.contains(id(entry)) {
                entry.setNumber(try firstFreeId(avoiding: newIds.union(mergedIds)), at: idField)
            }
            if id(oldEntry!) != id(entry) { idMap[id(oldEntry!)] = id(entry) }
            insert(entry, .backup)
        }

        // Entries without aliases first.
        var aliased: [[UInt8]] = []
        for name in oldNames + newNames.filter({ oldByName[$0] == nil }) {
            if !aliases(name).isEmpty {
                aliased.append(name)
            } else {
                try mergeEntry(name)
            }
        }

        // Aliases: those whose id is the same on both sides first, then
        // those present on both sides, then backup-only ones; stable.
        func rank(_ name: [UInt8]) -> Int {
            guard let newEntry = newByName[name] else { return 2 }
            return id(newEntry) == id(oldByName[name]!) ? 0 : 1
        }
        let ordered = aliased.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
        for (_, name) in ordered {
            let mergedAlias = aliases(name).first { mergedIndex[$0] != nil }
            guard let mergedAlias else {
                try mergeEntry(name)
                continue
            }
            let mergedId = id(merged[mergedIndex[mergedAlias]!].entry)
            var entry = oldByName[name]!
            entry.setNumber(mergedId, at: idField)
            insert(entry, .backup)
            if let newEntry = newByName[name], id(newEntry) != mergedId {
                // Live ids cannot be remapped: keep the live entry under another name.
                var original = newEntry
                original.nameBytes = name + Array("_orig".utf8)
                insert(original, .localRenamed(from: name))
                renamed.append(original.name)
            }
        }

        let sorted = merged.enumerated().sorted {
            (id($0.element.entry), $0.offset) < (id($1.element.entry), $1.offset)
        }
        var lines = sorted.map { AccountFile.Line.entry($0.element.entry) }
        lines += new.otherLines.map { .other($0) }
        var origins: [[UInt8]: Origin] = [:]
        for item in merged { origins[item.entry.nameBytes] = item.origin }
        return (AccountFile(kind: kind, lines: lines), origins, idMap, renamed)
    }

    /// The entries with a `root` entry added when missing: a copy of the
    /// first id-0 entry renamed, or a stock one.
    static func withRoot(_ entries: [AccountEntry], kind: AccountFileKind) -> [AccountEntry] {
        let root = Array("root".utf8)
        if entries.contains(where: { $0.nameBytes == root }) { return entries }
        var entry: AccountEntry
        if let zero = entries.first(where: { $0.number(at: kind.idField!) == 0 }) {
            entry = zero
            entry.nameBytes = root
        } else {
            entry = AccountEntry(kind == .passwd ? "root:x:0:0:root:/root:/bin/bash" : "root:x:0:")
        }
        return [entry] + entries
    }
}
