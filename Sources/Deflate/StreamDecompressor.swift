/// A streaming decoder of one compressed stream (`Inflater`,
/// `BZip2Decompressor`): fed in pieces, hands on what it decodes, throws
/// `DeflateError.corrupt` on damage, and tells when the stream has ended.
///
/// The feeding is shared (`decompress`); a decoder supplies one call of
/// its library (`step`), from the input left into its output buffer.
public protocol StreamDecompressor: AnyObject {
    var isFinished: Bool { get }
    /// The decoder's output buffer, refilled by each step.
    var outputBuffer: UnsafeMutableRawBufferPointer { get }
    /// One call of the library on `input` (at most 1 GiB), writing into
    /// `outputBuffer`: how much of `input` it read and of the buffer it
    /// wrote, and whether the stream ended. Throws on damage.
    func step(_ input: UnsafeRawBufferPointer) throws -> (consumed: Int, produced: Int, finished: Bool)
    /// Records that the stream ended (`isFinished` becomes true).
    func markFinished()
}

extension StreamDecompressor {
    /// Decompresses `input`, handing the bytes it decodes to `emit`. Input
    /// after the end of the stream is not decoded (gpg ignores it too).
    public func decompress(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count && !isFinished {
            // The libraries count input in 32 bits.
            let slice = UnsafeRawBufferPointer(rebasing: input[offset..<min(input.count, offset + (1 << 30))])
            var used = 0
            var outputFull = false
            repeat {
                let (consumed, produced, finished) = try step(UnsafeRawBufferPointer(rebasing: slice[used...]))
                used += consumed
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: outputBuffer[0..<produced])) }
                if finished { markFinished() }
                // A decoder that neither reads nor writes would spin forever.
                if produced == 0 && consumed == 0 && used < slice.count && !isFinished {
                    throw DeflateError.corrupt("the decoder made no progress")
                }
                outputFull = produced == outputBuffer.count
            } while !isFinished && (outputFull || used < slice.count)
            offset += slice.count
        }
    }
}
