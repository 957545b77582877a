import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory on a local (or mounted) file system: `file:///PATH`.
/// Objects are written to a hidden temporary name, synced and renamed into
/// place, so a crash never leaves a partial object under a real name.
public final class FileBackend: StorageBackend {
    public let address: String
    public let directory: String
    /// Files stored by rename and not yet synced (see `flush()`).
    private let unsynced = UnsyncedFiles()

    public init(address: String) throws {
        guard address.hasPrefix("file://") else { throw StorageError.unsupported("not a file:// address: \(address)") }
        var path = String(address.dropFirst("file://".count))
        guard path.hasPrefix("/") else {
            throw StorageError.unsupported("file address must be absolute (file:///PATH): \(address)")
        }
        path = path.removingPercentEncoding ?? path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.address = address
        self.directory = path
    }

    private func full(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw StorageError.failed(address: address, reason: "invalid object name \(name)")
        }
        return directory + "/" + name
    }

    public func preflight() throws {
        do { try Posix.makeDirectories(directory, mode: 0o700) } catch {
            throw StorageError.unreachable(address: address, reason: "\(error)")
        }
        let probe = directory + "/.bam-preflight-\(getpid())"
        let fd = Glibc.open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 {
            throw StorageError.denied(address: address, reason: "cannot write in \(directory): \(String(cString: strerror(errno)))")
        }
        close(fd)
        unlink(probe)
    }

    public func list() throws -> [StoredObject] {
        var st = stat()
        if stat(directory, &st) != 0 {
            if errno == ENOENT { return [] }
            throw StorageError.unreachable(address: address, reason: String(cString: strerror(errno)))
        }
        let names = try Posix.listDirectory(Array(directory.utf8))
        var out: [StoredObject] = []
        for raw in names {
            let name = String(decoding: raw, as: UTF8.self)
            if name.hasPrefix(".") { continue }  // our temporaries and probes
            if let st = try Posix.lstatIfExists(Array((directory + "/" + name).utf8)), (st.st_mode & S_IFMT) == S_IFREG {
                out.append(StoredObject(name: name, size: Int64(st.st_size)))
            }
        }
        return out
    }

    public func put(name: String, fromFile path: String) throws {
        let dest = try full(name)
        try Posix.makeDirectories(directory, mode: 0o700)
        let tmp = directory + "/.\(name).part.\(getpid())"
        do {
            try FileCopy.copy(from: path, to: tmp, mode: 0o600)
            if rename(tmp, dest) != 0 { throw BamError.io(path: dest, operation: "rename", errno: errno) }
        } catch {
            unlink(tmp)
            throw StorageError.failed(address: address, reason: "storing \(name): \(error)")
        }
    }

    /// Renames when the file is on the same file system; copies otherwise.
    /// Volumes are not synced one by one (that stalls the backup on the
    /// disk): `flush()` syncs them all before the manifest is stored.
    public func store(name: String, movingFile path: String) throws {
        let dest = try full(name)
        try Posix.makeDirectories(directory, mode: 0o700)
        if rename(path, dest) == 0 {
            unsynced.lock(); unsynced.names.append(dest); unsynced.unlock()
            startWriteback(dest)
            return
        }
        if errno != EXDEV { throw StorageError.failed(address: address, reason: "storing \(name): \(String(cString: strerror(errno)))") }
        try put(name: name, fromFile: path)
        unlink(path)
    }

    /// Starts writing a stored file to disk without waiting for it: the
    /// kernel would otherwise hold it in memory for half a minute, and
    /// `flush()` would wait for all of it at the end of the backup.
    private func startWriteback(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return }
        _ = LinuxCalls.syncFileRange?(fd, 0, 0, LinuxCalls.syncFileRangeWrite)
        close(fd)
    }

    public func flush() throws {
        unsynced.lock()
        let names = unsynced.names
        unsynced.names.removeAll()
        unsynced.unlock()
        // Their writeback started when each was stored (`startWriteback`).
        for path in names + [directory] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { continue }  // removed since (a resumed run replaced it)
            defer { close(fd) }
            if fsync(fd) != 0 { throw StorageError.failed(address: address, reason: "syncing \(path): \(String(cString: strerror(errno)))") }
        }
    }

    public func get(name: String, range: Range<Int64>?, toFile path: String) throws {
        let source = try full(name)
        var st = stat()
        if stat(source, &st) != 0 {
            if errno == ENOENT { throw StorageError.notFound(address: address, name: name) }
            throw StorageError.failed(address: address, reason: "\(source): \(String(cString: strerror(errno)))")
        }
        do { try FileCopy.copy(from: source, to: path, mode: 0o600, range: range, sync: false) } catch {
            throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
        }
    }

    public func localPath(name: String) -> String? {
        guard let path = try? full(name), let st = try? Posix.lstatIfExists(Array(path.utf8)), (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return path
    }

    public func head(name: String) throws -> StoredObject? {
        guard let st = try Posix.lstatIfExists(Array(try full(name).utf8)) else { return nil }
        return StoredObject(name: name, size: Int64(st.st_size))
    }

    public func delete(name: String) throws {
        if unlink(try full(name)) != 0 && errno != ENOENT {
            throw StorageError.failed(address: address, reason: "deleting \(name): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: Small objects

    /// Writes the whole content under a hidden name, then links it to its
    /// name: link() fails with EEXIST when the name exists, so exactly one
    /// of two creators wins and a reader never sees a partial object.
    public func create(name: String, contents: [UInt8]) throws -> Bool {
        let dest = try full(name)
        let tmp = try writeHidden(name, contents)
        defer { unlink(tmp) }
        if link(tmp, dest) == 0 { return true }
        if errno == EEXIST { return false }
        // File systems without hard links: O_EXCL is exclusive too, but a
        // reader may see the object before its content is complete.
        let fd = Glibc.open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw StorageError.failed(address: address, reason: "creating \(name): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        do {
            try Posix.writeAll(fd, contents, path: dest)
            if fsync(fd) != 0 { throw BamError.io(path: dest, operation: "fsync", errno: errno) }
        } catch {
            unlink(dest)
            throw StorageError.failed(address: address, reason: "creating \(name): \(error)")
        }
        return true
    }

    public func createIsExclusive() throws -> Bool { true }

    public func read(name: String, limit: Int) throws -> [UInt8]? {
        let path = try full(name)
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StorageError.failed(address: address, reason: "reading \(name): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw StorageError.failed(address: address, reason: "reading \(name): not a regular file")
        }
        guard st.st_size <= limit else {
            throw StorageError.failed(address: address, reason: "reading \(name): \(st.st_size) bytes, more than the \(limit) expected")
        }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let n: Int
        do { n = try buffer.withUnsafeMutableBytes { try Posix.readFully(fd, $0.baseAddress!, limit + 1, path: path) } } catch {
            throw StorageError.failed(address: address, reason: "reading \(name): \(error)")
        }
        guard n <= limit else {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        }
        return Array(buffer[0..<n])
    }

    public func write(name: String, contents: [UInt8]) throws {
        let dest = try full(name)
        let tmp = try writeHidden(name, contents)
        if rename(tmp, dest) != 0 {
            let code = errno
            unlink(tmp)
            throw StorageError.failed(address: address, reason: "storing \(name): \(String(cString: strerror(code)))")
        }
    }

    /// `contents` in a synced hidden file of the directory (which `list`
    /// skips); returns its path.
    private func writeHidden(_ name: String, _ contents: [UInt8]) throws -> String {
        do {
            try Posix.makeDirectories(directory, mode: 0o700)
            let tmp = directory + "/.\(name).new.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            try Posix.writeFileAtomically(tmp, contents, mode: 0o600)
            return tmp
        } catch {
            throw StorageError.failed(address: address, reason: "storing \(name): \(error)")
        }
    }
}

/// Copies a file (or a byte range of it) with fsync, creating `to` with `mode`.
enum FileCopy {
    /// `sync` false for scratch copies that need not survive a crash.
    static func copy(from: String, to: String, mode: mode_t, range: Range<Int64>? = nil, sync: Bool = true) throws {
        let input = Glibc.open(from, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw BamError.io(path: from, operation: "open", errno: errno) }
        defer { close(input) }
        let output = Glibc.open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if output < 0 { throw BamError.io(path: to, operation: "create", errno: errno) }
        defer { close(output) }
        var offset: Int64 = range?.lowerBound ?? 0
        let end: Int64? = range?.upperBound
        let bufSize = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: bufSize, alignment: 16)
        defer { buf.deallocate() }
        while true {
            var want = bufSize
            if let end { want = Int(min(Int64(bufSize), end - offset)) }
            if want <= 0 { break }
            let n = pread(input, buf, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: from, operation: "read", errno: errno)
            }
            if n == 0 { break }
            try Posix.writeAll(output, buf, n, path: to)
            offset += Int64(n)
        }
        if sync && fsync(output) != 0 { throw BamError.io(path: to, operation: "fsync", errno: errno) }
    }
}

/// The paths a FileBackend renamed into place since its last flush; volumes
/// are stored from several threads.
private final class UnsyncedFiles {
    private let mutex = NSLock()
    var names: [String] = []
    func lock() { mutex.lock() }
    func unlock() { mutex.unlock() }
}
