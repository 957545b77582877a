/// A librsync job failed: the signature or delta is malformed, or the basis
/// could not be read.
public struct RSyncError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
