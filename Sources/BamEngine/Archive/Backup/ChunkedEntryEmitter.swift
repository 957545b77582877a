/// Emits one file's data (a snapshot or a delta) the way duplicity does:
/// under 64 KiB as a single `snapshot/p` or `diff/p` entry; otherwise as
/// consecutive `multivol_<kind>/p/<k>` chunks of exactly 64 KiB, the last
/// one shorter (empty when the data is an exact multiple).
struct ChunkedEntryEmitter {
    static let chunkSize = 65_536

    let kind: String  // "snapshot" or "diff"
    let path: [UInt8]
    let template: TarEntry  // metadata copied into every chunk's header
    private var buffer: [UInt8] = []
    private var nextChunk = 1
    let emit: (TarEntry, UnsafeRawBufferPointer, Int?) throws -> Void

    init(kind: String, path: [UInt8], template: TarEntry, emit: @escaping (TarEntry, UnsafeRawBufferPointer, Int?) throws -> Void) {
        self.kind = kind
        self.path = path
        self.template = template
        self.emit = emit
        buffer.reserveCapacity(ChunkedEntryEmitter.chunkSize)
    }

    mutating func add(_ data: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < data.count {
            let take = min(ChunkedEntryEmitter.chunkSize - buffer.count, data.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[offset..<(offset + take)]))
            offset += take
            if buffer.count == ChunkedEntryEmitter.chunkSize {
                try flushChunk(last: false)
            }
        }
    }

    mutating func finish() throws {
        if nextChunk == 1 {
            var header = template
            header.name = Array(kind.utf8) + [0x2f] + path
            header.size = Int64(buffer.count)
            try buffer.withUnsafeBytes { try emit(header, $0, nil) }
            buffer.removeAll(keepingCapacity: true)
            return
        }
        try flushChunk(last: true)
    }

    private mutating func flushChunk(last: Bool) throws {
        var header = template
        header.name = Array("multivol_\(kind)/".utf8) + path + Array("/\(nextChunk)".utf8)
        header.size = Int64(buffer.count)
        // The manifest names the chunk number while more chunks follow.
        let block = last ? nil : nextChunk
        try buffer.withUnsafeBytes { try emit(header, $0, block) }
        buffer.removeAll(keepingCapacity: true)
        nextChunk += 1
    }
}
