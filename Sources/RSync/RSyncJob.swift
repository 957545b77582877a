internal import CRsync

/// Drives one librsync job over streamed input: feed pieces, collect the
/// output the job produces, finish once at end of input.
final class RSyncJob {
    private var job: OpaquePointer?
    private var outBuffer = [UInt8](repeating: 0, count: 1 << 16)
    private let what: String

    /// librsync logs its errors to stderr itself, outside bam's messages
    /// (which carry the same reason, escaped, naming the entry): keep only
    /// what it would log at emergency level.
    private static let quietLogging: Void = rs_trace_set_level(RS_LOG_EMERG)

    init(_ job: OpaquePointer?, what: String) throws {
        _ = Self.quietLogging
        guard job != nil else { throw RSyncError(message: "librsync could not start \(what)") }
        self.job = job
        self.what = what
    }

    deinit { if let job { rs_job_free(job) } }

    /// Runs the job over `input`; `output` gets every produced byte.
    func feed(_ input: UnsafeRawBufferPointer, eof: Bool, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffers = rs_buffers_t()
        let base = input.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: CChar.self) }
        buffers.next_in = base
        buffers.avail_in = input.count
        buffers.eof_in = eof ? 1 : 0
        var stalls = 0
        while true {
            let before = buffers.avail_in
            var produced = 0
            let result: rs_result = outBuffer.withUnsafeMutableBytes { out in
                buffers.next_out = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                buffers.avail_out = out.count
                let r = rs_job_iter(job, &buffers)
                produced = out.count - buffers.avail_out
                return r
            }
            if produced > 0 { try outBuffer.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if result == RS_DONE { return }
            guard result == RS_BLOCKED else {
                throw RSyncError(message: "\(what) failed: \(String(cString: rs_strerror(result)))")
            }
            if produced == outBuffer.count { stalls = 0; continue }  // wants more room
            if buffers.avail_in > 0 {
                if buffers.avail_in == before && produced == 0 { stalls += 1 } else { stalls = 0 }
                if stalls > 3 { throw RSyncError(message: "\(what) made no progress") }
                continue
            }
            if !eof { return }  // wants more input
            // At end of input librsync may take several calls to drain.
            if produced == 0 { stalls += 1 } else { stalls = 0 }
            if stalls > 3 { throw RSyncError(message: "\(what) did not finish: truncated input") }
        }
    }
}
