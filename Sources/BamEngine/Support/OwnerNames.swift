#if canImport(Glibc)
import Glibc
#endif

/// User and group names for tar headers, looked up once per id (duplicity
/// writes the local name, or nothing when the id has none).
final class OwnerNames {
    private var users: [UInt32: [UInt8]] = [:]
    private var groups: [UInt32: [UInt8]] = [:]

    func user(_ uid: UInt32) -> [UInt8] {
        if let name = users[uid] { return name }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 4096)
        var name: [UInt8] = []
        if getpwuid_r(uid, &pwd, &buf, buf.count, &result) == 0, result != nil, let p = pwd.pw_name {
            name = Array(String(cString: p).utf8)
        }
        users[uid] = name
        return name
    }

    func group(_ gid: UInt32) -> [UInt8] {
        if let name = groups[gid] { return name }
        var grp = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buf = [CChar](repeating: 0, count: 4096)
        var name: [UInt8] = []
        if getgrgid_r(gid, &grp, &buf, buf.count, &result) == 0, result != nil, let p = grp.gr_name {
            name = Array(String(cString: p).utf8)
        }
        groups[gid] = name
        return name
    }
}
