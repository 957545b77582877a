/// How bam reaches the database servers of a root. MySQL/MariaDB: the
/// client defaults file (`mysql-defaults-file` in conf, else the root's
/// `/etc/mysql/debian.cnf`), which holds the socket, user and password, so
/// nothing secret reaches argv. PostgreSQL: a unix socket directory and
/// port, reached as an OS user (peer authentication, as the original's
/// `su postgres`), from conf `pgsql-host`, `pgsql-port`, `pgsql-user`.
public struct DatabaseSettings: Codable, Equatable, Sendable {
    public var mysqlDefaultsFile: String?
    public var pgsqlHost: String?
    public var pgsqlPort: Int?
    public var pgsqlUser: String?

    public init(mysqlDefaultsFile: String? = nil, pgsqlHost: String? = nil, pgsqlPort: Int? = nil, pgsqlUser: String? = nil) {
        self.mysqlDefaultsFile = mysqlDefaultsFile
        self.pgsqlHost = pgsqlHost
        self.pgsqlPort = pgsqlPort
        self.pgsqlUser = pgsqlUser
    }

    public init(conf: BamConf) {
        self.init(mysqlDefaultsFile: conf.mysqlDefaultsFile, pgsqlHost: conf.pgsqlHost, pgsqlPort: conf.pgsqlPort, pgsqlUser: conf.pgsqlUser)
    }

    static func rootPath(_ root: String, _ absolute: String) -> String {
        (root.hasSuffix("/") ? String(root.dropLast()) : root) + absolute
    }

    /// The MySQL defaults file to use, or nil when the root has no MySQL
    /// (no conf setting, no debian.cnf, no server binary).
    func mysqlDefaults(root: String) throws -> String? {
        if let file = mysqlDefaultsFile {
            guard Posix.fileExists(file) else { throw BamError.invalid("mysql-defaults-file \(file) does not exist") }
            return file
        }
        let debian = Self.rootPath(root, "/etc/mysql/debian.cnf")
        if Posix.fileExists(debian) { return debian }
        for server in ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"] where Posix.fileExists(Self.rootPath(root, server)) {
            throw BamError.invalid(
                "\(Self.rootPath(root, server)) is installed but there is no \(debian) to connect with: set mysql-defaults-file in the conf, or use --skip-database"
            )
        }
        return nil
    }

    /// True when the root has PostgreSQL (a conf setting, or its config or binaries).
    func hasPostgreSQL(root: String) -> Bool {
        if pgsqlHost != nil || pgsqlPort != nil || pgsqlUser != nil { return true }
        return Posix.fileExists(Self.rootPath(root, "/etc/postgresql")) || Posix.fileExists(Self.rootPath(root, "/usr/lib/postgresql"))
    }
}
