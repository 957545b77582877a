/// A place under a system root, named as the root's own absolute path
/// (`/etc/passwd`). Every component is a plain name: never empty, `.` or
/// `..`, and no byte is NUL. The only way to get one is through
/// `init(validating:)` (or from the components of one), so code that
/// takes a `RootPath` cannot be handed a path that climbs out of the root
/// by its spelling; `ConfinedRoot` adds the other half, never following
/// a symlink on the way.
public struct RootPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Why bytes are not a `RootPath`.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let path: [UInt8]
        public let reason: String
        public var description: String { "\(Posix.display(path)): \(reason)" }
    }

    /// The path as written: `/` then the components joined by `/`.
    public let bytes: [UInt8]

    /// The root directory itself.
    public static let root = RootPath(trusted: [PathBytes.slash])

    /// Checks `bytes`: absolute, no empty, `.` or `..` component, no NUL.
    /// A trailing slash is an empty component too: the fsdelta and the
    /// rollback index never write one.
    public init(validating bytes: [UInt8]) throws(Invalid) {
        func refuse(_ reason: String) -> Invalid { Invalid(path: bytes, reason: reason) }
        guard bytes.first == PathBytes.slash else { throw refuse("not an absolute path") }
        if bytes.count == 1 {
            self.bytes = bytes
            return
        }
        var start = 1
        for i in 1...bytes.count {
            if i < bytes.count && bytes[i] == 0 { throw refuse("has a NUL byte") }
            guard i == bytes.count || bytes[i] == PathBytes.slash else { continue }
            let length = i - start
            if length == 0 { throw refuse("has an empty component") }
            if bytes[start] == UInt8(ascii: ".") && (length == 1 || (length == 2 && bytes[start + 1] == UInt8(ascii: "."))) {
                throw refuse("has a '\(length == 1 ? "." : "..")' component")
            }
            start = i + 1
        }
        self.bytes = bytes
    }

    /// For literals this file's callers spell themselves (`/etc/passwd`).
    public init(_ literal: StaticString) {
        let bytes = literal.withUTF8Buffer { Array($0) }
        do { try self.init(validating: bytes) } catch { preconditionFailure("bad RootPath literal: \(error)") }
    }

    private init(trusted: [UInt8]) { bytes = trusted }

    /// The components (`/` has none); each is a plain name.
    public var components: [[UInt8]] { PathBytes.components(bytes) }

    public var isRoot: Bool { bytes.count == 1 }

    /// This path and each directory above it, shallowest first (`/a`,
    /// `/a/b`, `/a/b/c`); empty for `/`.
    public var prefixes: [RootPath] {
        var result: [RootPath] = []
        for i in bytes.indices.dropFirst() where bytes[i] == PathBytes.slash {
            result.append(RootPath(trusted: Array(bytes[..<i])))
        }
        if !isRoot { result.append(self) }
        return result
    }

    /// `self/name`, for a name read from a directory listing (plain by
    /// construction, but checked all the same).
    public func appending(_ name: [UInt8]) throws(Invalid) -> RootPath {
        try RootPath(validating: isRoot ? bytes + name : bytes + [PathBytes.slash] + name)
    }

    /// Whether this is `directory` or lies below it.
    public func isWithin(_ directory: RootPath) -> Bool {
        self == directory || PathBytes.isStrictlyBelow(bytes, directory.bytes)
    }

    public static func < (a: RootPath, b: RootPath) -> Bool { PathBytes.compare(a.bytes, b.bytes) < 0 }

    /// Printable, control bytes escaped.
    public var description: String { Posix.display(bytes) }
}

extension RootPath {
    /// A path read from a file (the fsdelta, an olist, the rollback
    /// index): refused with the file and line at fault (exit 13).
    static func parsed(_ bytes: [UInt8], file: String, lineNumber: Int) throws -> RootPath {
        do {
            return try RootPath(validating: bytes)
        } catch {
            throw BamError.unsafePath(path: Posix.display(bytes), reason: "\(error.reason) (\(file), line \(lineNumber))")
        }
    }

    /// A path bam came by itself (a walk of the root): checked all the same.
    static func checked(_ bytes: [UInt8]) throws -> RootPath {
        do {
            return try RootPath(validating: bytes)
        } catch {
            throw BamError.unsafePath(path: Posix.display(bytes), reason: error.reason)
        }
    }
}
