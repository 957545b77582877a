/// glibc's major/minor/makedev are macros Swift cannot import; these are
/// the same bit layouts.
enum DeviceNumber {
    static func major(_ dev: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))) }
    static func minor(_ dev: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))) }
    static func make(major: UInt32, minor: UInt32) -> UInt64 {
        let ma = UInt64(major), mi = UInt64(minor)
        return ((ma & 0xfff) << 8) | ((ma & ~UInt64(0xfff)) << 32) | (mi & 0xff) | ((mi & ~UInt64(0xff)) << 12)
    }
}

/// O_NOATIME (Linux): reading a file for a backup should not change its atime.
let openNoAccessTime: Int32 = 0o1000000
