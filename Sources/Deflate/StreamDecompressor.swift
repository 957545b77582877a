/// A streaming decoder of one compressed stream (`Inflater`,
/// `BZip2Decompressor`): fed in pieces, hands on what it decodes, throws
/// `DeflateError.corrupt` on damage, and tells when the stream has ended.
public protocol StreamDecompressor: AnyObject {
    var isFinished: Bool { get }
    func decompress(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws
}
