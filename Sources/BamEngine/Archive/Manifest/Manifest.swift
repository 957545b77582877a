/// What one volume holds: the first and last path (with the chunk number
/// when the volume starts or ends inside a chunked file) and its hash.
public struct VolumeInfo: Equatable {
    public var number: Int
    public var startPath: [UInt8]
    public var startBlock: Int?
    public var endPath: [UInt8]
    public var endBlock: Int?
    /// SHA-1 of the stored (encrypted) volume, lowercase hex.
    public var sha1: String?

    public init(number: Int, startPath: [UInt8], startBlock: Int?, endPath: [UInt8], endBlock: Int?, sha1: String?) {
        self.number = number
        self.startPath = startPath
        self.startBlock = startBlock
        self.endPath = endPath
        self.endBlock = endBlock
        self.sha1 = sha1
    }
}

/// A backup set's manifest, byte-exact with duplicity 0.8's: the remote
/// manifest lists volumes, then the changed regular files.
public struct Manifest: Equatable {
    public enum FileChange: String { case new, changed, deleted }

    public var hostname: String?
    public var localDirectory: [UInt8]?
    public var volumes: [VolumeInfo] = []
    public var files: [(path: [UInt8], change: FileChange)] = []

    public init(hostname: String?, localDirectory: [UInt8]?) {
        self.hostname = hostname
        self.localDirectory = localDirectory
    }

    public static func == (a: Manifest, b: Manifest) -> Bool {
        a.hostname == b.hostname && a.localDirectory == b.localDirectory && a.volumes == b.volumes
            && a.files.map(\.path) == b.files.map(\.path) && a.files.map(\.change) == b.files.map(\.change)
    }

    static func index(_ path: [UInt8]) -> [UInt8] { path.isEmpty ? [0x2e] : ManifestQuoting.quote(path) }

    public func render() -> [UInt8] {
        var out = renderHead(fileCount: files.count)
        for f in files { out += Manifest.fileLine(f.path, f.change) }
        return out
    }

    /// One line of the file list.
    static func fileLine(_ path: [UInt8], _ change: FileChange) -> [UInt8] {
        let type = change.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
        return Array("    \(type)  ".utf8) + ManifestQuoting.quote(path) + [0x0a]
    }

    /// Everything before the file list's lines, for a list of `fileCount`
    /// files (kept elsewhere when it is large: `ManifestFileList`).
    func renderHead(fileCount: Int) -> [UInt8] {
        var out: [UInt8] = []
        if let hostname { out += Array("Hostname \(hostname)\n".utf8) }
        if let localDirectory { out += Array("Localdir ".utf8) + ManifestQuoting.quote(localDirectory) + [0x0a] }
        for v in volumes {
            out += Array("Volume \(v.number):\n".utf8)
            out += Array("    StartingPath   ".utf8) + Manifest.index(v.startPath) + Array(" \(v.startBlock.map(String.init) ?? " ")\n".utf8)
            out += Array("    EndingPath     ".utf8) + Manifest.index(v.endPath) + Array(" \(v.endBlock.map(String.init) ?? " ")\n".utf8)
            if let sha1 = v.sha1 { out += Array("    Hash SHA1 \(sha1)\n".utf8) }
        }
        out += Array("Filelist \(fileCount)\n".utf8)
        return out
    }

    /// Parses a manifest; `label` names it in errors.
    public static func parse(_ bytes: [UInt8], label: String) throws -> Manifest {
        var m = Manifest(hostname: nil, localDirectory: nil)
        var current: VolumeInfo?
        var inFilelist = false
        func fail(_ line: Int, _ why: String) -> BamError { .corrupt(what: label, reason: "line \(line): \(why)") }
        func words(_ line: ArraySlice<UInt8>) -> [[UInt8]] {
            line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map(Array.init)
        }
        func path(_ word: [UInt8]) throws -> [UInt8] {
            word == [0x2e] ? [] : try ManifestQuoting.unquote(word)
        }
        let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            let w = words(line)
            guard let key = w.first.map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            if inFilelist && line.first == 0x20 {
                guard w.count >= 2, let change = FileChange(rawValue: key) else { throw fail(n + 1, "bad file list line") }
                m.files.append((try path(w[1]), change))
                continue
            }
            switch key.lowercased() {
            case "hostname":
                m.hostname = String(decoding: line.dropFirst(9), as: UTF8.self)
            case "localdir":
                m.localDirectory = try ManifestQuoting.unquote(Array(line.dropFirst(9)))
            case "volume":
                if let v = current { m.volumes.append(v) }
                guard w.count == 2, w[1].last == 0x3a, let number = Int(String(decoding: w[1].dropLast(), as: UTF8.self)) else {
                    throw fail(n + 1, "bad volume line")
                }
                current = VolumeInfo(number: number, startPath: [], startBlock: nil, endPath: [], endBlock: nil, sha1: nil)
                inFilelist = false
            case "startingpath", "endingpath":
                guard current != nil, w.count >= 2 else { throw fail(n + 1, "path line outside a volume") }
                let p = try path(w[1])
                let block = w.count > 2 ? Int(String(decoding: w[2], as: UTF8.self)) : nil
                if key.lowercased() == "startingpath" {
                    current!.startPath = p; current!.startBlock = block
                } else {
                    current!.endPath = p; current!.endBlock = block
                }
            case "hash":
                guard current != nil, w.count >= 3 else { throw fail(n + 1, "hash line outside a volume") }
                if String(decoding: w[1], as: UTF8.self).uppercased() == "SHA1" {
                    current!.sha1 = String(decoding: w[2], as: UTF8.self).lowercased()
                }
            case "filelist":
                if let v = current { m.volumes.append(v); current = nil }
                inFilelist = true
            default:
                throw fail(n + 1, "unknown field '\(Posix.display(w[0]))'")
            }
        }
        if let v = current { m.volumes.append(v) }
        m.volumes.sort { $0.number < $1.number }
        for (i, v) in m.volumes.enumerated() where v.number != i + 1 {
            throw BamError.corrupt(what: label, reason: "volume \(i + 1) is not listed")
        }
        return m
    }
}
