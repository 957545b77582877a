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
}
