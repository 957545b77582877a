/// The account databases of one system: passwd and group, and shadow and
/// gshadow when it has them.
public struct UserDatabase: Equatable, Sendable {
    public var passwd: AccountFile
    public var group: AccountFile
    public var shadow: AccountFile?
    public var gshadow: AccountFile?

    public init(passwd: AccountFile, group: AccountFile, shadow: AccountFile? = nil, gshadow: AccountFile? = nil) {
        self.passwd = passwd
        self.group = group
        self.shadow = shadow
        self.gshadow = gshadow
    }

    /// Reads `passwd` and `group` (required) and `shadow` and `gshadow`
    /// (when present) from `directory`, usually `<root>/etc`.
    public static func load(directory: String) throws -> UserDatabase {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        func optional(_ kind: AccountFileKind) throws -> AccountFile? {
            let path = base + kind.rawValue
            return Posix.fileExists(path) ? try AccountFile.load(path, kind: kind) : nil
        }
        return UserDatabase(
            passwd: try AccountFile.load(base + "passwd", kind: .passwd),
            group: try AccountFile.load(base + "group", kind: .group),
            shadow: try optional(.shadow),
            gshadow: try optional(.gshadow))
    }

    /// Writes every file this database holds into `directory`.
    public func write(directory: String) throws {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        try passwd.write(to: base + "passwd")
        try group.write(to: base + "group")
        try shadow?.write(to: base + "shadow")
        try gshadow?.write(to: base + "gshadow")
    }
}
