import RSync
#if canImport(Glibc)
import Glibc
#endif

/// Applies the entries of a chain's volumes, set after set, to a
/// destination: snapshots replace, deltas patch the file restored so far,
/// deletions remove. Directory permissions and times are applied at the
/// end, deepest first, so writing children does not disturb them.
final class ArchiveApplier {
    private let tree: DestinationTree
    /// Restore only this path (and what is below it); nil: everything.
    private let selection: [UInt8]?
    /// The destination's own name inside `tree` (everything lands below it).
    private let base: [UInt8]
    private var directories: [[UInt8]: TarEntry] = [:]
    private var pending: PendingFile?
    private(set) var files = 0
    private(set) var bytes: Int64 = 0
    private var tempCounter = 0
    private let progress: ProgressReporter
    /// Refuse device nodes, FIFOs and setuid/setgid files (`--no-special-files`).
    private let refuseSpecialFiles: Bool

    private final class PendingFile {
        let kind: RestoreEntryName.Kind
        let path: [UInt8]  // archive path
        let target: [UInt8]  // mapped path in the tree
        let header: TarEntry
        let tempName: [UInt8]
        let output: Int32
        /// Writes `output`, across the chunks of a multivolume file.
        let writer: SparseFileWriter
        var nextChunk: Int
        let patcher: Patcher?
        let basis: Int32

        init(
            kind: RestoreEntryName.Kind, path: [UInt8], target: [UInt8], header: TarEntry, tempName: [UInt8], output: Int32, display: String,
            patcher: Patcher?, basis: Int32
        ) {
            self.kind = kind; self.path = path; self.target = target; self.header = header
            self.tempName = tempName; self.output = output; self.nextChunk = 1; self.patcher = patcher; self.basis = basis
            writer = SparseFileWriter(fd: output, display: display)
        }
    }

    init(tree: DestinationTree, base: [UInt8], selection: [UInt8]?, refuseSpecialFiles: Bool = false, progress: ProgressReporter) {
        self.tree = tree
        self.base = base
        self.selection = selection
        self.refuseSpecialFiles = refuseSpecialFiles
        self.progress = progress
    }

    private func map(_ path: [UInt8]) -> [UInt8]? {
        guard let selection else { return path.isEmpty ? base : base + [0x2f] + path }
        guard PathOrder.isWithin(path, selection) else { return nil }
        let rest = path.dropFirst(selection.count)
        return rest.isEmpty ? base : base + Array(rest)  // rest starts with "/"
    }

    /// Applies every entry of one decrypted volume.
    func apply(volume reader: TarReader, label: String) throws {
        while let entry = try reader.next() {
            let name = try RestoreEntryName(entry.name, volume: label)
            if let p = pending, !(name.path == p.path && name.kind == p.kind && name.chunk == p.nextChunk) {
                throw BamError.corrupt(what: label, reason: "multivolume file \(Posix.display(p.path)) stops at chunk \(p.nextChunk - 1)")
            }
            guard let target = map(name.path) else {
                try reader.readData { _ in }
                continue
            }
            if refuseSpecialFiles && name.kind != .deleted { try refuseIfSpecial(entry, target: target) }
            switch name.kind {
            case .deleted:
                _ = try tree.withParent(of: target, createMissing: false) { fd, last in try tree.remove(at: fd, last, display: tree.display(target)) }
                tree.invalidate()
                directories = directories.filter { !PathOrder.isWithin($0.key, target) }
            case .snapshot:
                try applySnapshot(entry, target: target, reader: reader)
            case .diff:
                try applyDiff(entry, target: target, reader: reader, label: label)
            case .multivolSnapshot, .multivolDiff:
                try applyChunk(entry, name: name, target: target, reader: reader, label: label)
            }
        }
    }

    /// `--no-special-files`: what a raw restore would otherwise create as
    /// duplicity does, a device node, a FIFO, or a setuid/setgid file, is
    /// refused before anything is written for it (the setgid bit of a
    /// directory only passes its group on, and is kept).
    private func refuseIfSpecial(_ entry: TarEntry, target: [UInt8]) throws {
        let reason: String
        switch entry.type {
        case .characterDevice, .blockDevice: reason = "a device node"
        case .fifo: reason = "a FIFO"
        case .regular where entry.mode & 0o6000 != 0: reason = "a setuid or setgid file"
        default: return
        }
        throw BamError.unsafePath(path: tree.display(target), reason: "\(reason), refused by --no-special-files")
    }

    /// After a failure: removes the temporary file of a multivolume file
    /// still being assembled, so nothing bam made is left behind.
    func abandon() {
        guard let p = pending else { return }
        pending = nil
        close(p.output)
        if p.basis >= 0 { close(p.basis) }
        _ = try? tree.withParent(of: p.target, createMissing: false) { fd, _ in
            Posix.withCPath(p.tempName) { unlinkat(fd, $0, 0) }
        }
    }

    /// Checks nothing is left half-done at the end of a set.
    func finishSet(label: String) throws {
        if let p = pending {
            throw BamError.corrupt(what: label, reason: "multivolume file \(Posix.display(p.path)) is incomplete (last chunk missing)")
        }
    }

    /// Applies directory metadata, deepest first.
    func finish() throws {
        for (path, entry) in directories.sorted(by: { $0.key.count > $1.key.count }) {
            try tree.withParent(of: path) { fd, name in try tree.applyMetadata(at: fd, name, entry, display: tree.display(path)) }
        }
        tree.invalidate()
    }

    private func nextTempName() -> [UInt8] {
        tempCounter += 1
        return Array(".bam-restore-\(getpid())-\(tempCounter)".utf8)
    }

    private func applySnapshot(_ entry: TarEntry, target: [UInt8], reader: TarReader) throws {
        try tree.withParent(of: target) { fd, name in
            let shown = tree.display(target)
            let existing = tree.lstat(at: fd, name)
            let existingIsDir = existing.map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false
            if entry.type == .directory {
                if existing != nil && !existingIsDir { try tree.remove(at: fd, name, display: shown) }
                if !existingIsDir && Posix.withCPath(name, { mkdirat(fd, $0, 0o700) }) != 0 {
                    throw BamError.io(path: shown, operation: "mkdir", errno: errno)
                }
                directories[target] = entry
                return
            }
            if existing != nil {
                try tree.remove(at: fd, name, display: shown)
                if existingIsDir { directories = directories.filter { !PathOrder.isWithin($0.key, target) } }
            }
            switch entry.type {
            case .regular:
                let temp = nextTempName()
                let out = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
                if out < 0 { throw BamError.io(path: shown, operation: "create", errno: errno) }
                do {
                    let writer = SparseFileWriter(fd: out, display: shown)
                    try reader.readData {
                        try writer.write($0); bytes += Int64($0.count)
                    }
                    try writer.finish()
                    close(out)
                } catch {
                    close(out); _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }; throw error
                }
                try rename(fd, temp, name, shown)
            case .symlink:
                let rc = Posix.withCPath(entry.linkName) { link in Posix.withCPath(name) { symlinkat(link, fd, $0) } }
                if rc != 0 { throw BamError.io(path: shown, operation: "symlink", errno: errno) }
            case .fifo:
                if Posix.withCPath(name, { mkfifoat(fd, $0, 0o600) }) != 0 { throw BamError.io(path: shown, operation: "mkfifo", errno: errno) }
            case .characterDevice, .blockDevice:
                let kind: mode_t = entry.type == .characterDevice ? S_IFCHR : S_IFBLK
                let dev = DeviceNumber.make(major: entry.deviceMajor, minor: entry.deviceMinor)
                if Posix.withCPath(name, { mknodat(fd, $0, kind | 0o600, dev_t(dev)) }) != 0 {
                    throw BamError.io(path: shown, operation: "mknod", errno: errno)
                }
            case .directory:
                break
            }
            try tree.applyMetadata(at: fd, name, entry, display: shown)
            files += 1
            progress.report(.item(path: "", bytes: entry.size))
        }
    }

    private func rename(_ fd: Int32, _ from: [UInt8], _ to: [UInt8], _ shown: String) throws {
        let rc = Posix.withCPath(from) { f in Posix.withCPath(to) { renameat(fd, f, fd, $0) } }
        if rc != 0 {
            let e = errno
            _ = Posix.withCPath(from) { unlinkat(fd, $0, 0) }
            throw BamError.io(path: shown, operation: "rename into place", errno: e)
        }
    }

    /// Opens the basis for a delta: the regular file restored so far at
    /// `target`. The archive decides what is there, so it may be a FIFO (an
    /// open for reading would wait forever for a writer), a device or a
    /// symlink: O_NONBLOCK and O_NOFOLLOW keep the open from waiting or
    /// leaving the tree, and anything but a regular file is damage.
    private func openBasis(_ fd: Int32, _ name: [UInt8], target: [UInt8], label: String) throws -> Int32 {
        let basis = Posix.withCPath(name) { openat(fd, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) }
        let opened = errno
        var st = stat()
        if basis >= 0 && fstat(basis, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { return basis }
        if basis >= 0 { close(basis) }
        if basis < 0 && opened == ENOENT {
            throw BamError.corrupt(what: label, reason: "a delta for \(Posix.display(target)) has no earlier file to apply to (the chain is incomplete)")
        }
        throw BamError.corrupt(what: label, reason: "a delta for \(Posix.display(target)) applies to something that is not a regular file")
    }

    private func applyDiff(_ entry: TarEntry, target: [UInt8], reader: TarReader, label: String) throws {
        try tree.withParent(of: target) { fd, name in
            let shown = tree.display(target)
            let basis = try openBasis(fd, name, target: target, label: label)
            defer { close(basis) }
            let temp = nextTempName()
            let out = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            if out < 0 { throw BamError.io(path: shown, operation: "create", errno: errno) }
            do {
                let patcher = try Patcher(basisFD: basis)
                let writer = SparseFileWriter(fd: out, display: shown)
                let write: (UnsafeRawBufferPointer) throws -> Void = {
                    try writer.write($0); self.bytes += Int64($0.count)
                }
                try reader.readData { try patcher.update($0, output: write) }
                try patcher.finish(output: write)
                try writer.finish()
                close(out)
            } catch let error as RSyncError {
                close(out); _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }
                throw BamError.corrupt(what: label, reason: "delta for \(Posix.display(target)): \(error)")
            } catch {
                close(out); _ = Posix.withCPath(temp) { unlinkat(fd, $0, 0) }; throw error
            }
            try rename(fd, temp, name, shown)
            try tree.applyMetadata(at: fd, name, entry, display: shown)
            files += 1
            progress.report(.item(path: "", bytes: entry.size))
        }
    }

    private func applyChunk(_ entry: TarEntry, name entryName: RestoreEntryName, target: [UInt8], reader: TarReader, label: String) throws {
        try tree.withParent(of: target) { fd, name in
            let shown = tree.display(target)
            if pending == nil {
                guard entryName.chunk == 1 else {
                    throw BamError.corrupt(what: label, reason: "multivolume file \(Posix.display(entryName.path)) starts at chunk \(entryName.chunk ?? 0)")
                }
                var patcher: Patcher?
                var basis: Int32 = -1
                if entryName.kind == .multivolDiff {
                    basis = try openBasis(fd, name, target: target, label: label)
                    do { patcher = try Patcher(basisFD: basis) } catch {
                        close(basis)
                        throw BamError.corrupt(what: label, reason: "delta for \(Posix.display(target)): \(error)")
                    }
                } else if let st = tree.lstat(at: fd, name), (st.st_mode & S_IFMT) == S_IFDIR {
                    try tree.remove(at: fd, name, display: shown)
                }
                let temp = nextTempName()
                let out = Posix.withCPath(temp) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
                if out < 0 {
                    let e = errno
                    if basis >= 0 { close(basis) }
                    throw BamError.io(path: shown, operation: "create", errno: e)
                }
                pending = PendingFile(
                    kind: entryName.kind, path: entryName.path, target: target, header: entry,
                    tempName: temp, output: out, display: shown, patcher: patcher, basis: basis)
            }
            let p = pending!
            let write: (UnsafeRawBufferPointer) throws -> Void = {
                try p.writer.write($0); self.bytes += Int64($0.count)
            }
            do {
                if let patcher = p.patcher {
                    try reader.readData { try patcher.update($0, output: write) }
                } else {
                    try reader.readData(write)
                }
                p.nextChunk += 1
                guard entry.size < Int64(ChunkedEntryEmitter.chunkSize) else { return }
                // The short chunk is the last one.
                if let patcher = p.patcher { try patcher.finish(output: write) }
                try p.writer.finish()
            } catch {
                close(p.output); if p.basis >= 0 { close(p.basis) }
                _ = Posix.withCPath(p.tempName) { unlinkat(fd, $0, 0) }
                pending = nil
                if let error = error as? RSyncError { throw BamError.corrupt(what: label, reason: "delta for \(Posix.display(target)): \(error)") }
                throw error
            }
            close(p.output)
            if p.basis >= 0 { close(p.basis) }
            pending = nil
            try rename(fd, p.tempName, name, shown)
            try tree.applyMetadata(at: fd, name, p.header, display: shown)
            files += 1
            progress.report(.item(path: "", bytes: 0))
        }
    }
}
