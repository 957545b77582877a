#if canImport(Glibc)
import Glibc
#endif

/// Linux system calls that glibc declares only under _GNU_SOURCE, which
/// Swift's Glibc module leaves out: looked up by name once, nil where the
/// C library lacks them (callers then do without).
enum LinuxCalls {
    /// sync_file_range(fd, offset, count, flags).
    static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = lookup("sync_file_range")
    static let syncFileRangeWrite: UInt32 = 2

    private static func lookup<F>(_ name: String) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }
}
