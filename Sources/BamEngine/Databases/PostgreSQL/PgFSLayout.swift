/// The original's "pgfs" tree of PostgreSQL databases, inside the extras
/// as `pgfs/`:
///
///     pgfs/.globals.sql          `pg_dumpall --globals-only` (roles, tablespaces)
///     pgfs/<db>/manifest.txt     the member names of the database's
///                                `pg_dump --format=tar`, in archive order
///     pgfs/<db>/<member>         each member: toc.dat, NNNN.dat, restore.sql
///
/// A restore puts the members back into a tar stream in manifest order and
/// feeds it to `pg_restore --create`. Directory names escape `/`, `%` and
/// a leading `.` (see `SQLText.fileName`); the database's own name is
/// in the archive's table of contents, and in `name` beside the manifest.
enum PgFSLayout {
    static let directoryName = "pgfs"
    static let globalsFile = ".globals.sql"
    static let manifestFile = "manifest.txt"
    /// bam's addition: the database name as it is (the directory name is escaped).
    static let nameFile = "name"
    /// Databases that are never dumped or restored.
    static let skipped: Set<String> = ["postgres", "template0", "template1"]
}
