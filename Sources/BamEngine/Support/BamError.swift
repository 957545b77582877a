/// The errors the engine reports to users. Each case carries the path,
/// volume or line at fault, so a front end can print it as it is; front
/// ends map cases to exit codes (see `BamCLI/Output/ExitCodes.swift`).
public enum BamError: Error, CustomStringConvertible, Equatable {
    /// A file-system call failed on `path`.
    case io(path: String, operation: String, errno: Int32)
    /// The decryption passphrase is wrong.
    case wrongPassphrase(String)
    /// A stored object is damaged: bad hash, truncated, undecryptable.
    case corrupt(what: String, reason: String)
    /// Something the archive needs is missing from the target.
    case missing(what: String)
    /// An input (a flag, a line of configuration, a name) is not acceptable.
    case invalid(String)
    /// A tar entry or path that would leave the destination.
    case unsafePath(path: String, reason: String)
    /// The registry is not initialised or already is.
    case registry(String)
    /// A child process or library call failed.
    case external(String)
    /// Restoring onto a different appliance needs confirmation.
    case incompatible(String)
    /// Another run holds the lock.
    case locked(String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case let .wrongPassphrase(message): return message
        case let .corrupt(what, reason): return "\(what) is corrupt: \(reason)"
        case let .missing(what): return "\(what) is missing"
        case let .invalid(message): return message
        case let .unsafePath(path, reason): return "refusing unsafe path \(path): \(reason)"
        case let .registry(message): return message
        case let .external(message): return message
        case let .incompatible(message): return message
        case let .locked(message): return message
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
