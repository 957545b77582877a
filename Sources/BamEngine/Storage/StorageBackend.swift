#if canImport(Glibc)
import Glibc
#endif

/// One object in a storage target, named relative to the target's prefix.
public struct StoredObject: Equatable {
    public let name: String
    public let size: Int64

    public init(name: String, size: Int64) {
        self.name = name
        self.size = size
    }
}

/// A place backups are stored: a directory, an S3 bucket prefix, ...
///
/// The contract every backend keeps (the archive code relies on it):
/// - `put` makes an object visible whole or not at all: a reader never sees
///   a partial volume under its final name.
/// - `get` writes the object to a local file and fails with
///   `StorageError.notFound` when it does not exist, never with an empty file.
/// - `list` returns every object under the prefix (no pagination left to
///   the caller), in no particular order.
/// - Errors are `StorageError`s; `isTransient` says whether retrying can help.
public protocol StorageBackend: AnyObject {
    /// The address as the user gave it, for messages (no credentials in it).
    var address: String { get }

    /// Checks that the target is reachable and writable before any work.
    func preflight() throws

    func list() throws -> [StoredObject]

    /// Stores the content of the local file `path` as `name`.
    func put(name: String, fromFile path: String) throws

    /// Writes object `name` (or the byte `range` of it) to the local file `path`.
    func get(name: String, range: Range<Int64>?, toFile path: String) throws

    /// The object's size, or nil when it does not exist.
    func head(name: String) throws -> StoredObject?

    /// Removes `name`; removing a missing object is not an error.
    func delete(name: String) throws

    /// Stores the local file `path` as `name` and removes the local file.
    /// Backends on the same file system may rename instead of copying.
    func store(name: String, movingFile path: String) throws

    /// Makes every object stored so far durable (a file system's
    /// write-back); remote backends have nothing to do.
    func flush() throws

    /// A local path where object `name` can be read directly, if the
    /// backend keeps objects as local files (nil for remote backends).
    func localPath(name: String) -> String?

    // Small objects kept in memory: the target's lock (`TargetLock`).

    /// Stores `contents` as `name` unless an object of that name exists:
    /// true when this call created it, false when one was there. Exclusive
    /// where `createIsExclusive()` says so; elsewhere two callers racing
    /// may both get true, and the caller must read back to tell.
    func create(name: String, contents: [UInt8]) throws -> Bool

    /// Whether `create` is exclusive on this target: of two callers racing
    /// on one name, exactly one gets true.
    func createIsExclusive() throws -> Bool

    /// The content of object `name`, nil when it does not exist; an object
    /// larger than `limit` bytes is an error (its content is not trusted).
    func read(name: String, limit: Int) throws -> [UInt8]?

    /// Stores `contents` as `name`, replacing any object of that name.
    func write(name: String, contents: [UInt8]) throws

    // Optional capabilities: a backend that has one says so, and drivers
    // ask the protocol, never the backend's type.

    /// Aborts the uploads an interrupted run left unfinished (they can
    /// never complete, and an object store bills them); returns how many.
    /// Backends without resumable uploads have none.
    func abortUnfinishedUploads() throws -> Int

    /// Whether `get(name:range:intoFileAt:)` works: several ranges of one
    /// object fetched at once, each into its place in one file.
    var fetchesRangesInPlace: Bool { get }

    /// Writes the bytes `range` of object `name` at the same offsets of the
    /// existing local file `path`.
    func get(name: String, range: Range<Int64>, intoFileAt path: String) throws
}

extension StorageBackend {
    public func localPath(name: String) -> String? { nil }

    public func flush() throws {}

    public func store(name: String, movingFile path: String) throws {
        try put(name: name, fromFile: path)
        _ = path.withCString { unlink($0) }
    }

    public func get(name: String, toFile path: String) throws {
        try get(name: name, range: nil, toFile: path)
    }

    public func abortUnfinishedUploads() throws -> Int { 0 }

    public var fetchesRangesInPlace: Bool { false }

    public func get(name: String, range: Range<Int64>, intoFileAt path: String) throws {
        throw StorageError.unsupported("\(address) cannot fetch ranges into place")
    }
}

/// Errors of storage backends, with the target and object at fault.
public enum StorageError: Error, CustomStringConvertible, Equatable {
    case notFound(address: String, name: String)
    case unreachable(address: String, reason: String)
    case denied(address: String, reason: String)
    /// A failure that may pass (a 5xx, a reset connection, a timeout).
    case transient(address: String, reason: String)
    case failed(address: String, reason: String)
    case unsupported(String)

    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .notFound(address, name): return "\(name) not found in \(address)"
        case let .unreachable(address, reason): return "storage target \(address) is not reachable: \(reason)"
        case let .denied(address, reason): return "storage target \(address) refused access: \(reason)"
        case let .transient(address, reason): return "temporary failure on \(address): \(reason)"
        case let .failed(address, reason): return "storage target \(address): \(reason)"
        case let .unsupported(message): return message
        }
    }
}
