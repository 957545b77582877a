import Foundation
import Testing
@testable import BamEngine

/// The hand-over of the walk to the volume builder: order, bounds, the
/// walk's failure and the builder's giving up.
@Suite("Read-ahead queue between the walk and the builder")
struct ReadAheadQueueTests {
    static func entry(_ i: Int) -> SourceEntry {
        var st = stat()
        st.st_mode = S_IFREG | 0o644
        st.st_size = 10
        return SourceEntry(path: Array("f\(i)".utf8), stat: st)!
    }

    static func path(of item: ReadAheadQueue.Item?) -> String? {
        guard case let .entry(entry, _)? = item, let entry else { return nil }
        return String(decoding: entry.path, as: UTF8.self)
    }

    @Test("items arrive in order through a small window, read-ahead paths or not")
    func order() throws {
        let queue = ReadAheadQueue(maxItems: 8, maxBytes: 25)
        let producer = BackgroundTask {
            for i in 0..<2000 {
                // A path that does not exist is left to the builder to report.
                try queue.put(.entry(Self.entry(i), previous: nil), readAhead: Array("/nonexistent/bam/f\(i)".utf8), bytes: 10)
            }
            try queue.put(.warning("done"))
            queue.finish(nil)
        }
        for i in 0..<2000 { #expect(Self.path(of: try queue.take()) == "f\(i)") }
        guard case .warning("done")? = try queue.take() else { Issue.record("the warning did not arrive"); return }
        #expect(try queue.take() == nil)
        try producer.wait()
    }

    @Test("the walk's failure reaches the builder after what was queued before it")
    func failure() throws {
        let queue = ReadAheadQueue()
        try queue.put(.entry(Self.entry(1), previous: nil))
        queue.finish(BamError.invalid("backup source /x is not a directory"))
        #expect(Self.path(of: try queue.take()) == "f1")
        #expect(throws: BamError.self) { try queue.take() }
    }

    @Test("a builder that gives up stops the walk")
    func cancel() throws {
        let queue = ReadAheadQueue(maxItems: 4)
        let producer = BackgroundTask {
            for i in 0..<100 { try queue.put(.entry(Self.entry(i), previous: nil)) }
            queue.finish(nil)
        }
        _ = try queue.take()
        queue.cancel()
        #expect(throws: ReadAheadQueue.Cancelled.self) { try producer.wait() }
    }
}
