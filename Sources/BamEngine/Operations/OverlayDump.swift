import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a backup's extract as a plain directory tree (`--dump DIR`):
/// the extras as `TKLBAM/` and each changed file at its path with its
/// owner, mode and times, the directories on the way copied from the
/// root. It is the same tree a restore downloads, so
/// `bam restore DIR` applies it.
struct OverlayDump {
    let root: String
    let progress: ProgressReporter

    /// `extras` is moved, not copied, when it can be: it is gone afterwards.
    func write(extras: String, olist: [RootPath], to destination: String) throws {
        if Posix.fileExists(destination), !(try Posix.listDirectory(Array(destination.utf8))).isEmpty {
            throw BamError.invalid("dump directory \(destination) exists and is not empty")
        }
        try Posix.makeDirectories(destination, mode: 0o700)
        let isRoot = geteuid() == 0
        let base = Array((destination.hasSuffix("/") ? String(destination.dropLast()) : destination).utf8)
        // The extras are this run's scratch, removed after it: moved into
        // place where they can be (a database dump may be gigabytes),
        // copied from another file system.
        let extrasDestination = base + Array("/\(ExtrasLayout.overlayName)".utf8)
        if Posix.withCPath(extrasDestination, { rename(extras, $0) }) != 0 {
            guard errno == EXDEV else { throw BamError.io(path: Posix.display(extrasDestination), operation: "rename", errno: errno) }
            try OverlayDump.copyTree(Array(extras.utf8), to: extrasDestination, isRoot: isRoot)
        }
        let confined = try ConfinedRoot(root: root)
        let rootBytes = Array((root.hasSuffix("/") ? String(root.dropLast()) : root).utf8)
        var madeDirectories = Set<RootPath>()
        var directoryTimes: [([UInt8], stat)] = []
        for path in olist where !path.isRoot {
            // Parents first, with the root's metadata.
            for parent in path.prefixes.dropLast() where madeDirectories.insert(parent).inserted {
                guard let st = try confined.lstat(parent), (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                try EntryCopy.copy(stat: st, from: rootBytes + parent.bytes, to: base + parent.bytes, isRoot: isRoot)
                directoryTimes.append((base + parent.bytes, st))
            }
            guard try confined.lstat(path) != nil else {
                progress.report(.warning("\(confined.display(path)) vanished during the backup; not in the dump"))
                continue
            }
            try EntryCopy.copy(from: rootBytes + path.bytes, to: base + path.bytes, isRoot: isRoot)
            progress.report(.item(path: path.description, bytes: 0))
        }
        // Writing children changed the directories' times: put them back.
        for (path, st) in directoryTimes.reversed() {
            var times = [st.st_mtim, st.st_mtim]
            _ = Posix.withCPath(path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Copies a whole directory tree (the extras).
    static func copyTree(_ source: [UInt8], to destination: [UInt8], isRoot: Bool) throws {
        let st = try Posix.lstat(source)
        try EntryCopy.copy(stat: st, from: source, to: destination, isRoot: isRoot)
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return }
        for name in try Posix.listDirectory(source) {
            try copyTree(source + [PathBytes.slash] + name, to: destination + [PathBytes.slash] + name, isRoot: isRoot)
        }
        var times = [st.st_mtim, st.st_mtim]
        _ = Posix.withCPath(destination) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }
}
