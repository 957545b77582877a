internal import CRsync

/// Computes a librsync delta of new data against an old file's signature,
/// streaming: the new data is fed in pieces and the delta comes out as it
/// is produced.
public final class DeltaGenerator {
    private var signature: OpaquePointer?
    private let job: RSyncJob

    public init(signature bytes: [UInt8]) throws {
        var sumset: OpaquePointer?
        let loader = try RSyncJob(rs_loadsig_begin(&sumset), what: "loading a signature")
        try bytes.withUnsafeBytes { try loader.feed($0, eof: true) { _ in } }
        guard let sumset else { throw RSyncError(message: "empty signature") }
        signature = sumset
        let built = rs_build_hash_table(sumset)
        if built != RS_DONE {
            rs_free_sumset(sumset)
            throw RSyncError(message: "signature is malformed: \(String(cString: rs_strerror(built)))")
        }
        do {
            job = try RSyncJob(rs_delta_begin(sumset), what: "delta")
        } catch {
            rs_free_sumset(sumset)
            throw error
        }
    }

    deinit { if let signature { rs_free_sumset(signature) } }

    public func update(_ data: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try job.feed(data, eof: false, output: output)
    }

    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try job.feed(UnsafeRawBufferPointer(start: nil, count: 0), eof: true, output: output)
    }
}
