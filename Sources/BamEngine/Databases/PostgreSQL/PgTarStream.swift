#if canImport(Glibc)
import Glibc
#endif

/// The plain ustar members pg_dump writes and pg_restore reads: split
/// from a stream into files, and joined back into a stream. Only regular
/// files with simple names occur in a pg_dump archive; anything else is
/// an error.
enum PgTarStream {
    static let block = 512

    /// Reads the tar stream on `fd` into files in `directory`; returns the
    /// member names in order.
    static func unpack(fd: Int32, into directory: String, source: String) throws -> [String] {
        var names: [String] = []
        var header = [UInt8](repeating: 0, count: block)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try header.withUnsafeMutableBytes { try Posix.readFully(fd, $0.baseAddress!, block, path: source) }
            if n == 0 && names.isEmpty { throw BamError.external("\(source) wrote nothing") }
            if n == 0 { break }
            guard n == block else { throw BamError.corrupt(what: "\(source) output", reason: "a truncated tar header") }
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header[0..<100].prefix(while: { $0 != 0 }), as: UTF8.self)
            let sizeText = String(decoding: header[124..<136].prefix(while: { $0 != 0 && $0 != 0x20 }), as: UTF8.self)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 8),
                !name.isEmpty, !name.contains("/"), name != ".", name != "..",
                header[156] == 0x30 || header[156] == 0
            else {
                throw BamError.corrupt(what: "\(source) output", reason: "a tar member bam does not expect ('\(name)')")
            }
            let path = directory + "/" + name
            let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if output < 0 { throw BamError.io(path: path, operation: "create", errno: errno) }
            let copied: Int
            do {
                copied = try copy(size, from: fd, to: output, path: path, buffer: &buffer, source: source)
            } catch {
                close(output)
                throw error
            }
            if close(output) != 0 { throw BamError.io(path: path, operation: "close", errno: errno) }
            guard copied == size else { throw BamError.corrupt(what: "\(source) output", reason: "member \(name) is truncated") }
            let pad = (block - size % block) % block
            if pad > 0 {
                _ = try buffer.withUnsafeMutableBytes { try Posix.readFully(fd, $0.baseAddress!, pad, path: source) }
            }
            names.append(name)
        }
        // Drain what follows the end blocks so the writer never blocks on a full pipe.
        let capacity = buffer.count
        while try buffer.withUnsafeMutableBytes({ try Posix.readFully(fd, $0.baseAddress!, capacity, path: source) }) > 0 {}
        return names
    }

    /// Moves `count` bytes from the pipe `fd` into the file `output`; returns
    /// how many there were before the pipe ended. Not splice(2): splice
    /// holds the pipe's lock while it writes the file, and pg_dump spun on
    /// that lock (a tenth of the run's CPU); read and write in 1 MiB steps
    /// made the dump of the bench's 1 GB database 15% faster.
    private static func copy(
        _ count: Int, from fd: Int32, to output: Int32, path: String,
        buffer: inout [UInt8], source: String
    ) throws -> Int {
        var done = 0
        while done < count {
            let want = min(count - done, buffer.count)
            let got = try buffer.withUnsafeMutableBytes { try Posix.readFully(fd, $0.baseAddress!, want, path: source) }
            if got == 0 { return done }
            try buffer.withUnsafeBytes { try Posix.writeAll(output, $0.baseAddress!, got, path: path) }
            done += got
        }
        return done
    }

    /// Writes `names` (files in `directory`) as a tar stream to `sink`.
    static func pack(_ names: [String], from directory: String, into sink: SQLSink) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for name in names {
            let path = directory + "/" + name
            guard !name.contains("/"), let st = try Posix.lstatIfExists(Array(path.utf8)), (st.st_mode & S_IFMT) == S_IFREG else {
                throw BamError.corrupt(what: directory + "/" + PgFSLayout.manifestFile, reason: "member '\(name)' is missing")
            }
            try sink.write(header(name: name, size: Int(st.st_size)))
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw BamError.io(path: path, operation: "open", errno: errno) }
            defer { close(fd) }
            var total = 0
            while true {
                let n = try buffer.withUnsafeMutableBytes { try Posix.readFully(fd, $0.baseAddress!, $0.count, path: path) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                total += n
                if n < buffer.count { break }
            }
            let pad = (block - total % block) % block
            if pad > 0 { try sink.write([UInt8](repeating: 0, count: pad)) }
        }
        try sink.write([UInt8](repeating: 0, count: 2 * block))
        try sink.flush()
    }

    static func header(name: String, size: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, at: 0)
        put("0000600\0", at: 100)
        put("0000000\0", at: 108)
        put("0000000\0", at: 116)
        put(String(format: "%011o", size) + "\0", at: 124)
        put("00000000000\0", at: 136)
        h[156] = 0x30
        put("ustar\0" + "00", at: 257)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum) + "\0 ", at: 148)
        return h
    }
}
