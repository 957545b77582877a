import RSync
#if canImport(Glibc)
import Glibc
#endif

/// Turns the walk of a source tree, merged with the previous signatures,
/// into difftar entries (cut into volumes) and the new signature tar,
/// reading every changed file exactly once: the same read feeds the volume
/// (or the librsync delta) and the new signature.
final class DifftarBuilder {
    /// Where the file of an entry path is on disk: the walk's own mapping
    /// (`SourceWalker.absolute`), which knows its root and grafts.
    private let locate: ([UInt8]) -> [UInt8]
    private let volumes: VolumeWriter
    private let signatures: BufferedFileWriter
    private let onVolume: (PlainVolume) throws -> Void
    private let progress: ProgressReporter
    private let names = OwnerNames()
    private(set) var statistics = BackupStatistics()
    /// The new and changed files, for the manifest.
    let fileList: ManifestFileList
    /// Start of the previous run: entries modified since are never "unchanged".
    var racyAfter: Int64 = .max
    private let readBuffer: UnsafeMutableRawPointer
    private static let readSize = ChunkedEntryEmitter.chunkSize

    init(
        locate: @escaping ([UInt8]) -> [UInt8], volumes: VolumeWriter, signatures: BufferedFileWriter, fileList: ManifestFileList,
        progress: ProgressReporter, onVolume: @escaping (PlainVolume) throws -> Void
    ) {
        self.fileList = fileList
        self.locate = locate
        self.volumes = volumes
        self.signatures = signatures
        self.progress = progress
        self.onVolume = onVolume
        readBuffer = UnsafeMutableRawPointer.allocate(byteCount: DifftarBuilder.readSize, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    private func header(for e: SourceEntry) -> TarEntry {
        var t = TarEntry(name: [], type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: 0, mtime: e.mtime)
        t.linkName = e.linkTarget
        t.userName = names.user(e.uid)
        t.groupName = names.group(e.gid)
        t.deviceMajor = e.deviceMajor
        t.deviceMinor = e.deviceMinor
        return t
    }

    /// Names as duplicity writes them: directories end in `/`, the root
    /// directory is `<kind>/./` in volumes and `<kind>/` in signatures.
    private func entryName(_ kind: String, _ path: [UInt8], directory: Bool, inSignatures: Bool) -> [UInt8] {
        var name = Array(kind.utf8) + [0x2f]
        if path.isEmpty { return inSignatures ? name : name + [0x2e, 0x2f] }
        name += path
        if directory { name.append(0x2f) }
        return name
    }

    private func appendVolume(_ header: TarEntry, _ data: UnsafeRawBufferPointer?, path: [UInt8], block: Int?) throws {
        if let closed = try volumes.append(header: TarHeaderEncoder.encode(header), data: data, path: path, block: block) {
            try onVolume(closed)
        }
    }

    private func appendSignature(_ header: TarEntry, _ data: [UInt8]) throws {
        try signatures.write(TarHeaderEncoder.encode(header))
        try signatures.write(data)
        try signatures.writeZeros(TarHeaderEncoder.padding(data.count))
    }

    // MARK: - Decisions

    /// Whether `entry` is stored as it was in the previous backup (not
    /// stored again). A file whose mtime is not older than the previous
    /// run's start may have changed in that same second after it was
    /// read: whole-second mtimes cannot tell, so it is backed up again
    /// (git's "racy" rule). Safe from any thread once `racyAfter` is set.
    func isUnchanged(_ entry: SourceEntry, previous: SignatureEntry?) -> Bool {
        guard let previous, previous.matches(entry) else { return false }
        return entry.type == .directory || entry.mtime < racyAfter
    }

    /// Whether `process` will read the file of `entry`.
    func willRead(_ entry: SourceEntry, previous: SignatureEntry?) -> Bool {
        entry.type == .regular && entry.size > 0 && !isUnchanged(entry, previous: previous)
    }

    /// One step of the merge of the walk with the previous signatures.
    /// `entry` nil: the path vanished since the last backup.
    func process(entry: SourceEntry?, previous: SignatureEntry?) throws {
        guard let entry else {
            if let previous, !previous.path.isEmpty { try emitDeleted(previous.path) }
            return
        }
        statistics.sourceFiles += 1
        statistics.sourceBytes += entry.size
        if isUnchanged(entry, previous: previous) {
            statistics.unchangedFiles += 1
            progress.report(.item(path: "", bytes: 0))
            return
        }
        if entry.type == .regular {
            try emitFile(entry, basis: previous?.type == .regular ? previous : nil)
        } else {
            let meta = header(for: entry)
            var h = meta
            h.name = entryName("snapshot", entry.path, directory: entry.type == .directory, inSignatures: false)
            try appendVolume(h, nil, path: entry.path, block: nil)
            var s = meta
            s.name = entryName("snapshot", entry.path, directory: entry.type == .directory, inSignatures: true)
            try appendSignature(s, [])
            if previous == nil { statistics.newFiles += 1 } else { statistics.changedFiles += 1 }
            progress.report(.item(path: "", bytes: 0))
        }
    }

    private func emitDeleted(_ path: [UInt8]) throws {
        var h = TarEntry(name: Array("deleted/".utf8) + path, type: .regular, mode: 0, uid: 0, gid: 0, size: 0, mtime: 0)
        h.userName = []
        try appendVolume(h, nil, path: path, block: nil)
        try appendSignature(h, [])
        statistics.deletedFiles += 1
    }

    /// Reads a regular file once: into a snapshot (no usable signature) or
    /// a delta against `basis`'s signature, and into its new signature.
    private func emitFile(_ entry: SourceEntry, basis: SignatureEntry?) throws {
        let full = locate(entry.path)
        var fd = Posix.withCPath(full) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | openNoAccessTime) }
        if fd < 0 && errno == EPERM { fd = Posix.withCPath(full) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) } }
        if fd < 0 {
            let e = errno
            let why = e == ENOENT ? "vanished during the backup" : "cannot be read (\(String(cString: strerror(e))))"
            progress.report(.warning("\(Posix.display(full)) \(why); not backed up"))
            statistics.warnings.append("\(Posix.display(full)) \(why)")
            return
        }
        defer { close(fd) }
        let meta = header(for: entry)
        let signature = try SignatureGenerator(fileSize: entry.size)
        let delta: DeltaGenerator?
        do {
            delta = try basis?.signature.map { try DeltaGenerator(signature: $0) }
        } catch let error as RSyncError {
            // The previous backup's signature is backup data: damage, exit 12.
            throw BamError.corrupt(what: "signature/\(Posix.display(entry.path)) in \(Posix.display(basis?.archive ?? ""))", reason: "\(error)")
        }
        let kind = delta == nil ? "snapshot" : "diff"
        var emitter = ChunkedEntryEmitter(kind: kind, path: entry.path, template: meta) { [unowned self] h, data, block in
            try self.appendVolume(h, data, path: entry.path, block: block)
            self.statistics.deltaBytes += Int64(data.count)
        }
        var total: Int64 = 0
        while true {
            let n = try Posix.readFully(fd, readBuffer, DifftarBuilder.readSize, path: Posix.display(full))
            let chunk = UnsafeRawBufferPointer(start: readBuffer, count: n)
            if n > 0 {
                try signature.update(chunk)
                if let delta { try delta.update(chunk) { try emitter.add($0) } } else { try emitter.add(chunk) }
            }
            total += Int64(n)
            if n < DifftarBuilder.readSize { break }
        }
        if let delta { try delta.finish { try emitter.add($0) } }
        try emitter.finish()
        var after = stat()
        if fstat(fd, &after) == 0, Int64(after.st_mtim.tv_sec) != entry.mtime || Int64(after.st_size) != total {
            let message = "\(Posix.display(full)) changed while it was read; the stored copy may be inconsistent"
            progress.report(.warning(message))
            statistics.warnings.append(message)
        }
        var s = meta
        s.name = Array("signature/".utf8) + entry.path
        let sig = try signature.finish()
        s.size = Int64(sig.count)
        try appendSignature(s, sig)
        if delta == nil {
            statistics.newFiles += 1
            try fileList.append(entry.path, .new)
        } else {
            statistics.changedFiles += 1
            try fileList.append(entry.path, .changed)
        }
        progress.report(.item(path: "", bytes: total))
    }

    /// Closes the last volume and the signature tar.
    func finish() throws {
        try volumes.ensureOneVolume()
        if let closed = try volumes.closeVolume() { try onVolume(closed) }
        try signatures.writeZeros(1024)
        let remainder = Int(signatures.written % Int64(TarFormat.recordSize))
        if remainder != 0 { try signatures.writeZeros(TarFormat.recordSize - remainder) }
        try signatures.close()
    }
}
