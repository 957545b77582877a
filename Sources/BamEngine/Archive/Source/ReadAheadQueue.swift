import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands the merged walk of a source tree from the thread that walks it to
/// the thread that builds volumes, and asks the kernel to start reading
/// each file that will be backed up as it is queued. On a cold cache the
/// builder then finds its files in memory instead of waiting for the disk
/// one file at a time (a full backup of the bench corpus spent a seventh
/// of its time so). Unchanged files are never read ahead.
///
/// Bounded by entries and by the bytes read ahead and not yet taken, so
/// neither memory nor the page cache runs ahead of the builder. The entry
/// bound is generous (an entry is its path and metadata, a few hundred
/// bytes; signatures are shared with the index): while the builder spends
/// 0.35 s on the delta of one large changed file, the walk goes on to stat
/// the next 20,000 files instead of stopping 4,096 entries ahead.
final class ReadAheadQueue: @unchecked Sendable {
    enum Item {
        /// One step of the merge (see `DifftarBuilder.process`).
        case entry(SourceEntry?, previous: SignatureEntry?)
        case warning(String)
    }

    struct Cancelled: Error {}

    private let condition = NSCondition()
    private var items: [(item: Item, bytes: Int64)] = []
    private var head = 0
    private var aheadBytes: Int64 = 0
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let maxItems: Int
    private let maxBytes: Int64

    init(maxItems: Int = 1 << 16, maxBytes: Int64 = 32 << 20) {
        self.maxItems = maxItems
        self.maxBytes = maxBytes
    }

    /// Producer: queues `item`; `readPath` is a file to read ahead of
    /// `bytes` bytes. Throws `Cancelled` once the consumer has given up.
    func put(_ item: Item, readAhead readPath: [UInt8]? = nil, bytes: Int64 = 0) throws {
        condition.lock()
        while !cancelled && (items.count - head >= maxItems || (bytes > 0 && aheadBytes > 0 && aheadBytes + bytes > maxBytes)) {
            condition.wait()
        }
        if cancelled { condition.unlock(); throw Cancelled() }
        condition.unlock()
        if let readPath, bytes > 0 { Self.startReading(readPath) }
        condition.lock()
        items.append((item, bytes))
        aheadBytes += bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Producer: no more items; `error` is the walk's failure, if any.
    func finish(_ error: Error?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Consumer: the next item, nil at the end; rethrows the walk's failure.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !finished { condition.wait() }
        if head == items.count {
            if let failure { throw failure }
            return nil
        }
        let next = items[head]
        head += 1
        aheadBytes -= next.bytes
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return next.item
    }

    /// Consumer: stops the producer (its next `put` throws `Cancelled`).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Starts the kernel reading the whole file into the page cache
    /// without waiting for it. A file that cannot be opened is left to
    /// the builder, which reports it.
    private static func startReading(_ path: [UInt8]) {
        var fd = Posix.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | openNoAccessTime) }
        if fd < 0 && errno == EPERM { fd = Posix.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) } }
        guard fd >= 0 else { return }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
        close(fd)
    }
}
