/// Something the walk could not examine and left out, reported instead of
/// failing the whole run: a file that vanished while being walked, a
/// directory that could not be read, a name the index format cannot hold.
public struct WalkWarning: Equatable, Sendable, CustomStringConvertible {
    /// The absolute path as on the real system (not prefixed by the root).
    public var path: [UInt8]
    public var message: String

    public init(path: [UInt8], message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(Posix.display(path)): \(message)" }
}
