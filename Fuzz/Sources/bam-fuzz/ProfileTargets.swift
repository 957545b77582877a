import BamEngine

/// A profile's files (from the Hub or a profile directory) and the
/// dirindex a backup carries in its extras.
enum ProfileTargets {
    static func dirIndex(_ input: [UInt8]) {
        ScratchFile.write(input)
        do {
            let reader = try DirIndexReader(path: ScratchFile.path)
            while try reader.next() != nil {}
        } catch {}
    }

    /// The rules, then matching paths against them as a backup walk does.
    static func dirIndexConf(_ input: [UInt8]) {
        guard let conf = try? DirIndexConf.parse(text(input), file: "dirindex.conf") else { return }
        let limits = PathLimits(conf.rules)
        for path in probePaths { _ = limits.isIncluded(path) }
    }

    static let probePaths = ["/", "/etc", "/etc/passwd", "/var/lib/dpkg/status", "/home/a b/[x]*?", "/root/.ssh/"]
}
