#if canImport(Glibc)
import Glibc
#endif

/// The extras directory of a whole-system backup, in the original's layout
/// (its `/TKLBAM`): stored in the overlay as `TKLBAM/`, beside the changed
/// files at their own paths.
public struct ExtrasLayout {
    /// The extras' name at the top of the overlay.
    public static let overlayName = "TKLBAM"

    public let path: String

    public init(path: String) { self.path = path }

    public var fsdelta: String { path + "/fsdelta" }
    public var fsdeltaOlist: String { path + "/fsdelta-olist" }
    public var newpkgs: String { path + "/newpkgs" }
    public var backupConf: String { path + "/backup-conf" }
    /// passwd, group, and (for the merge that keeps target-only users'
    /// passwords) shadow and gshadow.
    public var etc: String { path + "/etc" }

    /// Refuses extras that hold anything but directories and regular
    /// files. Every reader of the extras (fsdelta, account files, package
    /// list, database dumps) opens plain paths below `path`; with no
    /// symlink in the tree, none of them can be sent outside it, and no
    /// FIFO can make one of them wait forever.
    public func checkPlainTree() throws {
        var st = stat()
        guard Posix.withCPath(Array(path.utf8), { lstat($0, &st) }) == 0 else {
            throw BamError.io(path: path, operation: "stat", errno: errno)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BamError.unsafePath(path: path, reason: "the extras are not a directory")
        }
        let fd = Posix.withCPath(Array(path.utf8)) { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        try Self.checkPlain(directory: fd, display: path)
    }

    private static func checkPlain(directory fd: Int32, display: String) throws {
        for name in try Posix.listDirectory(fd: fd, display: display) {
            let shown = display + "/" + Posix.display(name)
            var st = stat()
            guard Posix.withCPath(name, { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw BamError.io(path: shown, operation: "stat", errno: errno)
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG: continue
            case S_IFDIR:
                let child = Posix.withCPath(name) { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                if child < 0 { throw BamError.io(path: shown, operation: "open", errno: errno) }
                defer { close(child) }
                try checkPlain(directory: child, display: shown)
            default:
                throw BamError.unsafePath(path: shown, reason: "the extras may hold only directories and regular files")
            }
        }
    }
}
