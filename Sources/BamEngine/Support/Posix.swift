#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Thin throwing wrappers over the POSIX calls the engine uses. Paths are
/// byte arrays: file names need not be UTF-8, and a Swift `String` would
/// lose the bytes that are not.
public enum Posix {
    /// The printable form of a path (or any name or line read from a
    /// backup) for messages, logs and pages: printable UTF-8 is kept, and
    /// every other byte becomes a `\xNN` escape (invalid UTF-8, the C0
    /// controls with ESC, CR and LF, DEL, the C1 controls U+0080...U+009F,
    /// the Unicode line and paragraph separators, and the backslash itself,
    /// so an escape in a name cannot pass for one made here). A hostile
    /// name can then neither drive the terminal nor fake a line.
    public static func display(_ path: [UInt8]) -> String {
        guard let text = String(validating: path, as: UTF8.self) else {
            var out = ""
            for b in path {
                if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") { out.append(Character(UnicodeScalar(b))) } else { out += escaped(b) }
            }
            return out
        }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) { out += String(scalar).utf8.map(escaped).joined() } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// `display` for text already in a String (manifest lines, volume
    /// names, S3 keys).
    public static func display(_ text: String) -> String { display(Array(text.utf8)) }

    /// The last guard before a terminal or log, for a whole message whose
    /// names were already passed through `display`: escapes the control
    /// characters `display` escapes, but leaves backslashes (they are that
    /// function's own escapes) and the line feeds and tabs of multi-line
    /// messages, so text that bypassed `display` (a storage server's or a
    /// tool's error output, say) still cannot drive the terminal.
    public static func controlsEscaped(_ message: String) -> String {
        func escapes(_ scalar: Unicode.Scalar) -> Bool { scalar != "\\" && scalar != "\n" && scalar != "\t" && needsEscape(scalar) }
        guard message.unicodeScalars.contains(where: escapes) else { return message }
        var out = ""
        for scalar in message.unicodeScalars {
            if escapes(scalar) { out += String(scalar).utf8.map(escaped).joined() } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f, 0x5c, 0x2028, 0x2029: return true
        default: return false
        }
    }

    private static func escaped(_ byte: UInt8) -> String {
        let hex = Array("0123456789abcdef")
        return "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xf)])
    }

    public static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var bytes = path
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { buf in
            try buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { try body($0) }
        }
    }

    public static func lstat(_ path: [UInt8]) throws -> stat {
        var st = stat()
        let rc = withCPath(path) { Glibc.lstat($0, &st) }
        if rc != 0 { throw BamError.io(path: display(path), operation: "lstat", errno: errno) }
        return st
    }

    public static func lstatIfExists(_ path: [UInt8]) throws -> stat? {
        var st = stat()
        let rc = withCPath(path) { Glibc.lstat($0, &st) }
        if rc != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw BamError.io(path: display(path), operation: "lstat", errno: errno)
        }
        return st
    }

    public static func readlink(_ path: [UInt8]) throws -> [UInt8] {
        try readlink(at: AT_FDCWD, path, display: display(path))
    }

    /// The target of the symlink `name` in directory `fd`.
    public static func readlink(at fd: Int32, _ name: [UInt8], display shown: String) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = withCPath(name) { p in
            buf.withUnsafeMutableBufferPointer { readlinkat(fd, p, UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 4096) }
        }
        if n < 0 { throw BamError.io(path: shown, operation: "readlink", errno: errno) }
        return Array(buf[0..<n])
    }

    /// The entries of a directory (without `.` and `..`), unsorted.
    public static func listDirectory(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw BamError.io(path: display(path), operation: "opendir", errno: errno)
        }
        defer { closedir(dir) }
        return try names(in: dir, display: display(path))
    }

    /// The names in the open directory `fd` (which stays open and is not
    /// moved: the listing reads a duplicate).
    public static func listDirectory(fd: Int32, display shown: String) throws -> [[UInt8]] {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let e = errno
            if copy >= 0 { close(copy) }
            throw BamError.io(path: shown, operation: "opendir", errno: e)
        }
        defer { closedir(dir) }
        return try names(in: dir, display: shown)
    }

    /// The name in a directory entry, read in place. A dirent is only as
    /// long as its name: copying `d_name`'s 256 bytes out (as
    /// `ent.pointee.d_name` does) reads past the last entry of readdir's
    /// buffer and crashed on a real tree when that ran into an unmapped page.
    static func direntName(_ ent: UnsafeMutablePointer<dirent>) -> [UInt8] {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let name = UnsafeRawPointer(ent).advanced(by: offset).assumingMemoryBound(to: CChar.self)
        return Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
    }

    private static func names(in dir: OpaquePointer, display shown: String) throws -> [[UInt8]] {
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw BamError.io(path: shown, operation: "readdir", errno: errno) }
                break
            }
            let name = direntName(ent)
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names
    }

    public static func open(_ path: [UInt8], _ flags: Int32, _ mode: mode_t = 0o600) throws -> Int32 {
        let fd = withCPath(path) { Glibc.open($0, flags | O_CLOEXEC, mode) }
        if fd < 0 { throw BamError.io(path: display(path), operation: "open", errno: errno) }
        return fd
    }

    /// Reads up to `count` bytes, retrying on EINTR; a short count means end of file.
    public static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = Glibc.read(fd, buffer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, buffer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0.baseAddress!, $0.count, path: path) }
    }

    /// Creates `path` and its parents with `mode` (like `mkdir -p`).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        try makeDirectories(Array(path.utf8), mode: mode)
    }

    /// As above for a path in bytes: a name from a backup need not be
    /// UTF-8, and `display`'s escaped form is for messages, never a path.
    public static func makeDirectories(_ path: [UInt8], mode: mode_t = 0o700) throws {
        var current: [UInt8] = path.first == 0x2f ? [] : [0x2e]
        for part in path.split(separator: 0x2f) {
            current += [0x2f] + part
            if withCPath(current, { mkdir($0, mode) }) != 0 && errno != EEXIST {
                throw BamError.io(path: display(current), operation: "mkdir", errno: errno)
            }
        }
    }

    /// Writes `data` to `path` atomically (temporary file, fsync, rename) with `mode`.
    public static func writeFileAtomically(_ path: String, _ data: [UInt8], mode: mode_t) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        if fd < 0 { throw BamError.io(path: tmp, operation: "create", errno: errno) }
        do {
            _ = fchmod(fd, mode)  // the umask must not widen or narrow what was asked
            try writeAll(fd, data, path: tmp)
            if fsync(fd) != 0 { throw BamError.io(path: tmp, operation: "fsync", errno: errno) }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        if rename(tmp, path) != 0 {
            let e = errno; unlink(tmp)
            throw BamError.io(path: path, operation: "rename", errno: e)
        }
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buf.withUnsafeMutableBytes { try readFully(fd, $0.baseAddress!, 65536, path: path) }
            out.append(contentsOf: buf[0..<n])
            if n < 65536 { break }
        }
        return out
    }

    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return Glibc.lstat(path, &st) == 0
    }

    /// Removes a path and everything below it; a missing path is fine.
    public static func removeTree(_ path: [UInt8]) throws {
        guard let st = try lstatIfExists(path) else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + [0x2f] + name) }
            if withCPath(path, { rmdir($0) }) != 0 { throw BamError.io(path: display(path), operation: "rmdir", errno: errno) }
        } else if withCPath(path, { unlink($0) }) != 0 {
            throw BamError.io(path: display(path), operation: "unlink", errno: errno)
        }
    }

    /// A fresh private directory (mode 0700) under `parent`.
    public static func makeTemporaryDirectory(in parent: String = NSTemporaryDirectory(), prefix: String) throws -> String {
        var template = Array((parent.hasSuffix("/") ? parent : parent + "/").utf8) + Array("\(prefix)XXXXXX".utf8) + [0]
        let ok = template.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { mkdtemp($0) != nil }
        }
        if !ok { throw BamError.io(path: parent, operation: "mkdtemp", errno: errno) }
        return String(decoding: template.dropLast(), as: UTF8.self)
    }
}
