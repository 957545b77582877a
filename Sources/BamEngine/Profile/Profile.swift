#if canImport(Glibc)
import Glibc
#endif

/// The installation state of one appliance type and version, against which
/// a backup finds what changed: a directory holding `dirindex.conf` (the
/// paths to watch), `dirindex` (their lstat fields at install time) and
/// `packages` (what was installed), optionally `hooks.d/`.
public struct Profile: Equatable, Sendable {
    public static let packagesFileName = "packages"

    /// Where the profile lives; nil for the empty profile.
    public var directory: String?
    public var conf: DirIndexConf
    /// The dirindex to stream with `DirIndexReader`; nil when the profile
    /// has none, so every included path counts as new.
    public var dirIndexPath: String?
    /// Sorted names of the packages installed when the profile was made.
    public var packages: [String]
    /// The profile's own hooks directory, when it has one.
    public var hooksDirectory: String?

    public init(
        directory: String?, conf: DirIndexConf, dirIndexPath: String?, packages: [String],
        hooksDirectory: String? = nil
    ) {
        self.directory = directory
        self.conf = conf
        self.dirIndexPath = dirIndexPath
        self.packages = packages
        self.hooksDirectory = hooksDirectory
    }

    /// The `empty` profile: no index and no packages, so every included
    /// path is new and every installed package is listed.
    public static func empty(conf: DirIndexConf = .debianCore) -> Profile {
        Profile(directory: nil, conf: conf, dirIndexPath: nil, packages: [])
    }

    /// Loads the profile in `directory`. `dirindex.conf` is required (a
    /// profile without a path list watches nothing); a missing `dirindex`
    /// or `packages` reads as empty, as the original treated them.
    public static func load(_ directory: String) throws -> Profile {
        var st = stat()
        guard fstatat(AT_FDCWD, directory, &st, 0) == 0 else {
            throw BamError.io(path: directory, operation: "open profile", errno: errno)
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw BamError.invalid("\(directory): a profile must be a directory")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let confPath = base + DirIndexConf.fileName
        guard Posix.fileExists(confPath) else { throw BamError.missing(what: confPath) }
        let conf = try DirIndexConf.load(confPath)
        let indexPath = base + DirIndex.fileName
        let packagesPath = base + packagesFileName
        var packages: [String] = []
        if Posix.fileExists(packagesPath) {
            packages = try parsePackages(String(decoding: Posix.readFile(packagesPath), as: UTF8.self), file: packagesPath)
        }
        let hooks = base + "hooks.d"
        var hooksStat = stat()
        let hasHooks = fstatat(AT_FDCWD, hooks, &hooksStat, 0) == 0 && hooksStat.st_mode & S_IFMT == S_IFDIR
        return Profile(
            directory: directory, conf: conf,
            dirIndexPath: Posix.fileExists(indexPath) ? indexPath : nil,
            packages: packages, hooksDirectory: hasHooks ? hooks : nil)
    }

    /// The names in a `packages` or `newpkgs` file, one per line, sorted
    /// and unique. They end up in apt's argv, so each must be a Debian
    /// package name (optionally `:ARCH`): a line such as `-oAPT::...` is
    /// refused with its line (exit 12), never handed on.
    public static func parsePackages(_ text: String, file: String) throws -> [String] {
        let names = try ConfigLines.numbered(text).compactMap { line -> String? in
            let name = line.text.filter { !$0.isWhitespace }
            if name.isEmpty { return nil }
            guard PackageInstaller.isPackageName(name) else {
                throw BamError.corrupt(what: "\(file), line \(line.number)", reason: "'\(Posix.display(Array(name.utf8)))' is not a Debian package name")
            }
            return name
        }
        return Array(Set(names)).sorted()
    }
}
