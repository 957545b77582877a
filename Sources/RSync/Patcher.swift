internal import CRsync
#if canImport(Glibc)
import Glibc
#endif

/// Applies a librsync delta to a basis file (read with pread from a file
/// descriptor), producing the new file's bytes as the delta is fed in.
public final class Patcher {
    private let basis: BasisReader
    private let job: RSyncJob

    public init(basisFD: Int32) throws {
        basis = BasisReader(fd: basisFD)
        job = try RSyncJob(rs_patch_begin(basisCopy, Unmanaged.passUnretained(basis).toOpaque()), what: "patch")
    }

    public func update(_ delta: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withExtendedLifetime(basis) { try job.feed(delta, eof: false, output: output) }
    }

    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withExtendedLifetime(basis) { try job.feed(UnsafeRawBufferPointer(start: nil, count: 0), eof: true, output: output) }
    }
}

private final class BasisReader {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
}

/// librsync asks for `len` bytes of the basis at `pos`; it supplies a buffer.
private let basisCopy:
    @convention(c) (UnsafeMutableRawPointer?, rs_long_t, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> rs_result = {
        opaque, pos, len, buf in
        guard let opaque, let len, let buf, let target = buf.pointee else { return RS_IO_ERROR }
        let reader = Unmanaged<BasisReader>.fromOpaque(opaque).takeUnretainedValue()
        var done = 0
        while done < len.pointee {
            let n = pread(reader.fd, target + done, len.pointee - done, off_t(pos) + off_t(done))
            if n < 0 { if errno == EINTR { continue }; return RS_IO_ERROR }
            if n == 0 { break }
            done += n
        }
        if done == 0 && len.pointee > 0 { return RS_INPUT_ENDED }
        len.pointee = done
        return RS_DONE
    }
