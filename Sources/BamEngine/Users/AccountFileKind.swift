/// The four account databases under /etc and the shape of their lines.
public enum AccountFileKind: String, CaseIterable, Sendable {
    case passwd
    case group
    case shadow
    case gshadow

    /// Fields a line must have to be an entry; nil when any count of at
    /// least two is accepted (shadow lines are kept verbatim, only their
    /// name is read).
    var fieldCount: Int? {
        switch self {
        case .passwd: return 7
        case .group: return 4
        case .shadow, .gshadow: return nil
        }
    }

    /// The field holding the numeric id (uid or gid); nil for shadow files.
    var idField: Int? {
        switch self {
        case .passwd, .group: return 2
        case .shadow, .gshadow: return nil
        }
    }

    /// Mode the file is written with when it does not exist yet.
    var defaultMode: UInt32 {
        switch self {
        case .passwd, .group: return 0o644
        case .shadow, .gshadow: return 0o640
        }
    }

    /// Where the file lives in a root.
    var rootPath: RootPath {
        switch self {
        case .passwd: return RootPath("/etc/passwd")
        case .group: return RootPath("/etc/group")
        case .shadow: return RootPath("/etc/shadow")
        case .gshadow: return RootPath("/etc/gshadow")
        }
    }
}
