internal import CZlib
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A raw DEFLATE stream (RFC 1951) made with zlib on every core, as pigz
/// does: the input is cut into chunks, each compressed on its own with the
/// 32 KiB of input before it as its dictionary (so matches still reach
/// back across the cut) and closed with a sync flush (an empty stored
/// block, which leaves the stream byte-aligned), and the pieces are joined
/// in order into one stream any inflater reads. Stored data (`store`) goes
/// between them as hand-written stored blocks.
///
/// zlib's levels 4-6 compress text 5-10% better than ISA-L but cost
/// three to ten times its CPU time; spread over the cores they keep a
/// backup ahead of duplicity (`VolumeCompression.balanced`, `.best`).
/// Not thread-safe: one compressor per stream, used from one thread.
public final class ParallelZlibCompressor: DeflateStream {
    /// What one inflater keeps of the past: matches reach no further back.
    static let windowSize = 32 << 10
    private let chunkSize: Int
    private let workers: [ZlibChunkWorker]
    /// Input not yet in a job (less than one chunk).
    private var pending: [UInt8] = []
    private var jobs: [ChunkJob] = []
    private var queuedChunks = 0
    private var queuedBytes = 0
    /// The last `windowSize` bytes of the stream's input, stored or not:
    /// the next chunk's dictionary.
    private var window: [UInt8] = []
    private var finished = false

    /// `level` is zlib's 1...9; `workers` compress at once (nil: one per
    /// core, at most 8).
    public init(level: Int, workers: Int? = nil, chunkSize: Int = 128 << 10) throws {
        guard (1...9).contains(level) else { throw DeflateError.badLevel(level) }
        let count = max(1, min(workers ?? ParallelZlibCompressor.coreCount, 8))
        self.workers = try (0..<count).map { _ in try ZlibChunkWorker(level: Int32(level)) }
        self.chunkSize = max(chunkSize, 4096)
        pending.reserveCapacity(self.chunkSize)
    }

    static var coreCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    public func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ParallelZlibCompressor used after the end of its stream")
        var offset = 0
        while offset < input.count {
            let count = min(chunkSize - pending.count, input.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<offset + count]))
            offset += count
            if pending.count == chunkSize { try queuePending(finish: false, emit: emit) }
        }
        if finish {
            try queuePending(finish: true, emit: emit)
            finished = true
            try runJobs(emit: emit)
        }
    }

    public func store(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "ParallelZlibCompressor used after the end of its stream")
        if !pending.isEmpty { try queuePending(finish: false, emit: emit) }
        guard input.count > 0 else { return }
        let bytes = [UInt8](input)
        remember(bytes)
        try queue(ChunkJob(kind: .stored, input: bytes, dictionary: []), emit: emit)
    }

    private func queuePending(finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = ChunkJob(kind: finish ? .last : .compressed, input: pending, dictionary: window)
        remember(pending)
        pending.removeAll(keepingCapacity: true)
        try queue(job, emit: emit)
    }

    private func queue(_ job: ChunkJob, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        jobs.append(job)
        if job.kind != .stored { queuedChunks += 1 }
        queuedBytes += job.input.count
        // Two chunks a worker: a batch keeps every core busy for a while
        // without holding more than a megabyte or so (stored data too).
        if queuedChunks >= workers.count * 2 || queuedBytes >= workers.count * 2 * chunkSize { try runJobs(emit: emit) }
    }

    private func remember(_ bytes: [UInt8]) {
        if bytes.count >= Self.windowSize {
            window = Array(bytes[(bytes.count - Self.windowSize)...])
        } else {
            let keep = min(window.count, Self.windowSize - bytes.count)
            window = Array(window[(window.count - keep)...]) + bytes
        }
    }

    /// Compresses the queued chunks on the workers at once, then emits
    /// every job's output in order.
    private func runJobs(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let jobs = self.jobs, workers = self.workers
        let compressing = jobs.indices.filter { jobs[$0].kind != .stored }
        let results = ChunkResults(count: jobs.count)
        let workerCount = min(workers.count, compressing.count)
        if workerCount > 0 {
            DispatchQueue.concurrentPerform(iterations: workerCount) { slot in
                // Worker `slot` takes every workerCount-th chunk: no two
                // threads ever share a z_stream.
                for n in stride(from: slot, to: compressing.count, by: workerCount) {
                    let index = compressing[n]
                    results.set(index, Result { try workers[slot].compress(jobs[index]) })
                }
            }
        }
        for (index, job) in jobs.enumerated() {
            if job.kind == .stored {
                try job.input.withUnsafeBytes { try StoredBlocks.emit($0, to: emit) }
            } else {
                let output = try results.get(index)
                try output.withUnsafeBytes { try emit($0) }
            }
        }
        self.jobs.removeAll(keepingCapacity: true)
        queuedChunks = 0
        queuedBytes = 0
    }
}

/// One piece of the stream: a chunk to deflate after `dictionary`, the
/// stream's last chunk, or bytes to store as they are.
struct ChunkJob {
    enum Kind { case compressed, last, stored }
    let kind: Kind
    let input: [UInt8]
    let dictionary: [UInt8]
}

/// Each job's outcome. Every worker writes only its own jobs' slots, and
/// they are read after all workers are done (`concurrentPerform` returns
/// then), so the slots need no lock; a Swift array would (copy on write).
private final class ChunkResults: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Result<[UInt8], Error>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ result: Result<[UInt8], Error>) { slots[index] = result }

    func get(_ index: Int) throws -> [UInt8] {
        guard let result = slots[index] else { throw DeflateError.compression(code: Z_STREAM_ERROR) }
        return try result.get()
    }
}

/// A z_stream a worker reuses for one chunk after another.
final class ZlibChunkWorker: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer

    init(level: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = bam_deflate_init_raw(stream, level)
        guard code == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DeflateError.compression(code: code)
        }
        output = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    /// The chunk's deflate blocks, ending byte-aligned (sync flush), or
    /// with the final block for the stream's last chunk.
    func compress(_ job: ChunkJob) throws -> [UInt8] {
        var code = deflateReset(stream)
        guard code == Z_OK else { throw DeflateError.compression(code: code) }
        if !job.dictionary.isEmpty {
            code = job.dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
            guard code == Z_OK else { throw DeflateError.compression(code: code) }
        }
        let flush = job.kind == .last ? Z_FINISH : Z_SYNC_FLUSH
        var result: [UInt8] = []
        result.reserveCapacity(job.input.count / 2 + 64)
        try job.input.withUnsafeBytes { input in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(input.count)
            while true {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(output.count)
                let code = CZlib.deflate(stream, flush)
                guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw DeflateError.compression(code: code) }
                let produced = output.count - Int(stream.pointee.avail_out)
                result.append(contentsOf: UnsafeRawBufferPointer(rebasing: output[0..<produced]))
                if code == Z_STREAM_END { break }
                // A sync flush is complete once deflate leaves room unused.
                if flush == Z_SYNC_FLUSH && stream.pointee.avail_out > 0 && stream.pointee.avail_in == 0 { break }
            }
        }
        stream.pointee.next_in = nil
        return result
    }
}
