internal import CRsync

/// Computes a librsync delta of new data against an old file's signature,
/// streaming: the new data is fed in pieces and the delta comes out as it
/// is produced.
public final class DeltaGenerator {
    private var signature: OpaquePointer?
    private let job: RSyncJob

    /// A signature that fails to load (damaged, truncated) is an error, and
    /// whatever librsync allocated for it is freed: an init that throws
    /// never reaches `deinit`.
    public init(signature bytes: [UInt8]) throws {
        var sumset: OpaquePointer?
        do {
            let loader = try RSyncJob(rs_loadsig_begin(&sumset), what: "loading a signature")
            try bytes.withUnsafeBytes { try loader.feed($0, eof: true) { _ in } }
            guard let loaded = sumset else { throw RSyncError(message: "empty signature") }
            let built = rs_build_hash_table(loaded)
            if built != RS_DONE { throw RSyncError(message: "signature is malformed: \(String(cString: rs_strerror(built)))") }
            job = try RSyncJob(rs_delta_begin(loaded), what: "delta")
            signature = loaded
        } catch {
            if let sumset { rs_free_sumset(sumset) }
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
