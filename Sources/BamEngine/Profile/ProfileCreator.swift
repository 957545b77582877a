/// Makes a profile from a pristine root (a fresh install of an appliance):
/// its `dirindex.conf` (the Debian core list unless told otherwise), the
/// `dirindex` of every included path under the root, and `packages`, the
/// sorted names dpkg lists as `install ok installed`.
public struct ProfileCreator {
    /// The directory that stands for `/` (`--root`).
    public var root: String
    public var conf: DirIndexConf

    public init(root: String = "/", conf: DirIndexConf = .debianCore) {
        self.root = root
        self.conf = conf
    }

    /// What a creation wrote and what the walk had to leave out.
    public struct Result: Equatable, Sendable {
        public var indexRecords: Int
        public var packages: Int
        public var warnings: [WalkWarning]
    }

    /// Writes the three profile files into `directory`, which must exist.
    /// A root without a dpkg status file gives an empty package list.
    @discardableResult
    public func create(in directory: String) throws -> Result {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        try Posix.writeFileAtomically(base + DirIndexConf.fileName, Array(conf.text.utf8), mode: 0o644)
        let index = try DirIndex.create(root: root, rules: conf.rules, to: base + DirIndex.fileName)
        let packages = try Self.installedPackages(root: root)
        try Posix.writeFileAtomically(
            base + Profile.packagesFileName, Array(packages.map { $0 + "\n" }.joined().utf8), mode: 0o644)
        return Result(indexRecords: index.records, packages: packages.count, warnings: index.warnings)
    }

    /// The sorted names of the packages whose dpkg status is
    /// `install ok installed` in `<root>/var/lib/dpkg/status`; empty when
    /// the root has no dpkg database.
    public static func installedPackages(root: String) throws -> [String] {
        let path = (root.hasSuffix("/") ? root : root + "/") + "var/lib/dpkg/status"
        guard Posix.fileExists(path) else { return [] }
        return installedPackages(dpkgStatus: String(decoding: try Posix.readFile(path), as: UTF8.self))
    }

    /// The same from the text of a dpkg status file: stanzas separated by
    /// blank lines, fields `Package:` and `Status:` (continuation lines,
    /// which start with a space, are skipped).
    public static func installedPackages(dpkgStatus text: String) -> [String] {
        var names = Set<String>()
        var package: String?
        var installed = false
        func endStanza() {
            if let package, installed { names.insert(package) }
            package = nil
            installed = false
        }
        for (_, line) in ConfigLines.numbered(text) {
            if line.allSatisfy({ $0.isWhitespace }) {
                endStanza()
                continue
            }
            if line.first == " " || line.first == "\t" { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon]
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            let trimmed = String(value.reversed().drop(while: { $0.isWhitespace }).reversed())
            if field == "Package" {
                package = trimmed
            } else if field == "Status" {
                installed = trimmed == "install ok installed"
            }
        }
        endStanza()
        return names.sorted()
    }
}
