#if canImport(Glibc)
import Glibc
#endif

/// Walks the paths a `PathLimits` selects under a root directory and
/// reports every included entry with its lstat fields, in plain byte order
/// of the absolute path: the order of a dirindex, so the delta can compare
/// the two by a sorted merge instead of loading either into memory.
///
/// Byte order of whole paths is not depth-first order ("/a/b" sorts after
/// "/a-b"), so each directory's listing is sorted with the descent into a
/// subdirectory `c` keyed as `c/`: emitting items in that order yields
/// exactly the byte order of the full paths.
///
/// Directories that are not included are entered only when a positive rule
/// reaches below them (an include nested in an exclude, or the parents of
/// `/var/www`), and then only the names those rules lead to are looked up.
/// Paths with no listed ancestor are never walked: that would be the whole
/// file system.
///
/// Uses opendir/readdir/fstatat and keeps names of one directory in one
/// byte buffer, so a walk of a million entries costs about what `find`
/// does and holds only the listings of the current directory's ancestors.
final class IncludedTreeWalker {
    let root: String
    let limits: PathLimits
    let readsSymlinkTargets: Bool

    private(set) var warnings: [WalkWarning] = []
    /// Entries reported as included.
    private(set) var entryCount = 0

    /// The root without a trailing slash ("" for "/"), prefixed to every
    /// absolute path to find it on disk.
    private let rootPrefix: [UInt8]
    /// Reused for every readlinkat.
    private var linkBuffer = [UInt8](repeating: 0, count: Int(PATH_MAX))

    init(root: String, limits: PathLimits, readsSymlinkTargets: Bool) {
        self.root = root
        self.limits = limits
        self.readsSymlinkTargets = readsSymlinkTargets
        var prefix = Array(root.utf8)
        while prefix.last == PathBytes.slash { prefix.removeLast() }
        rootPrefix = prefix
    }

    private enum ItemKind: UInt8 {
        case emit
        case descendIncluded
        case descendExcluded
        case unknown
        case unknownSubtree

        /// Descents sort as `name/`.
        var sortsWithSlash: Bool { self == .descendIncluded || self == .descendExcluded || self == .unknownSubtree }
    }

    private struct Item {
        var nameStart: UInt32
        var nameLength: UInt32
        var targetStart: UInt32 = 0
        var targetLength: UInt32 = 0
        var kind: ItemKind
        var hasTarget = false
        var mode: UInt32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var size: Int64 = 0
        var mtime: Int64 = 0
    }

    private struct Frame {
        var path: [UInt8]
        var names: [UInt8] = []
        var items: [Item] = []
        var next = 0
    }

    /// Runs the walk, calling `body` for each event in path order.
    func walk(_ body: (WalkEvent) throws -> Void) throws {
        warnings = []
        entryCount = 0
        let rootPath: [UInt8] = [PathBytes.slash]
        let rootReal = rootPrefix.isEmpty ? rootPath : rootPrefix
        var rootStat = stat()
        let rc = Posix.withCPath(rootReal) { fstatat(AT_FDCWD, $0, &rootStat, 0) }
        if rc != 0 { throw BamError.io(path: root, operation: "stat", errno: errno) }
        if rootStat.st_mode & S_IFMT != S_IFDIR { throw BamError.io(path: root, operation: "opendir", errno: ENOTDIR) }

        let rootIncluded = limits.exactDecision([]) ?? false
        var stack: [Frame] = []
        if rootIncluded {
            var st = stat()
            if Posix.withCPath(rootReal, { Glibc.lstat($0, &st) }) == 0 {
                try rootPath.withUnsafeBufferPointer { p in
                    entryCount += 1
                    try body(
                        .entry(
                            WalkedEntry(
                                path: p, mode: st.st_mode, uid: st.st_uid, gid: st.st_gid,
                                size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec), symlinkTarget: nil)))
                }
            }
            if let frame = try readDirectory(rootPath, included: true, isTop: true, body) { stack.append(frame) }
        } else if let plan = limits.descentPlan(below: rootPath) {
            if let frame = try readDirectory(rootPath, included: false, plan: plan, isTop: true, body) {
                stack.append(frame)
            }
        }

        var pathBuffer: [UInt8] = []
        pathBuffer.reserveCapacity(4096)
        while !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].next == stack[top].items.count {
                stack.removeLast()
                continue
            }
            let item = stack[top].items[stack[top].next]
            stack[top].next += 1

            pathBuffer.removeAll(keepingCapacity: true)
            pathBuffer.append(contentsOf: stack[top].path)
            if stack[top].path.count > 1 { pathBuffer.append(PathBytes.slash) }
            let frameNames = stack[top].names
            frameNames.withUnsafeBufferPointer { names in
                pathBuffer.append(
                    contentsOf: UnsafeBufferPointer(
                        rebasing: names[Int(item.nameStart)..<Int(item.nameStart + item.nameLength)]))
            }

            switch item.kind {
            case .emit:
                entryCount += 1
                try pathBuffer.withUnsafeBufferPointer { p in
                    try frameNames.withUnsafeBufferPointer { names in
                        let target =
                            item.hasTarget
                            ? UnsafeBufferPointer(
                                rebasing: names[Int(item.targetStart)..<Int(item.targetStart + item.targetLength)])
                            : nil
                        try body(
                            .entry(
                                WalkedEntry(
                                    path: p, mode: item.mode, uid: item.uid, gid: item.gid,
                                    size: item.size, mtime: item.mtime, symlinkTarget: target)))
                    }
                }
            case .unknown:
                try pathBuffer.withUnsafeBufferPointer { try body(.unknown($0)) }
            case .unknownSubtree:
                try pathBuffer.withUnsafeBufferPointer { try body(.unknownSubtree($0)) }
            case .descendIncluded:
                if let frame = try readDirectory(pathBuffer, included: true, isTop: false, body) { stack.append(frame) }
            case .descendExcluded:
                guard let plan = limits.descentPlan(below: pathBuffer) else { continue }
                if let frame = try readDirectory(pathBuffer, included: false, plan: plan, isTop: false, body) {
                    stack.append(frame)
                }
            }
        }
    }

    /// Lists (or, for a probe plan, looks up names in) one directory and
    /// returns its sorted items; nil when it could not be read, after
    /// recording a warning and, unless it vanished, reporting its subtree
    /// as unknown.
    private func readDirectory(
        _ path: [UInt8], included: Bool, plan: PathLimits.DescentPlan? = nil, isTop: Bool,
        _ body: (WalkEvent) throws -> Void
    ) throws -> Frame? {
        let isRoot = path.count == 1 && path[0] == PathBytes.slash
        let real = isRoot ? (rootPrefix.isEmpty ? path : rootPrefix) : rootPrefix + path
        // O_NOFOLLOW: the entry was a directory when listed; if it has been
        // swapped for a symlink since, do not walk where it points.
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (isTop ? 0 : O_NOFOLLOW)
        let fd = Posix.withCPath(real) { Glibc.open($0, flags) }
        if fd < 0 {
            let code = errno
            try unreadable(path, errno: code, body)
            return nil
        }
        var frame = Frame(path: path)
        let childRules = limits.rules(forChildrenOf: path)

        if case .probe(let names) = plan {
            defer { close(fd) }
            for name in names {
                let cName = name.map { CChar(bitPattern: $0) } + [0]
                cName.withUnsafeBufferPointer { c in
                    addChild(
                        dirfd: fd, cName: c.baseAddress!, length: name.count, to: &frame, included: included,
                        rules: childRules, reportMissing: false)
                }
            }
        } else {
            guard let dir = fdopendir(fd) else {
                let code = errno
                close(fd)
                try unreadable(path, errno: code, body)
                return nil
            }
            defer { closedir(dir) }
            let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            while true {
                errno = 0
                guard let ent = readdir(dir) else {
                    if errno != 0 {
                        let code = errno
                        try unreadable(path, errno: code, body)
                        return nil
                    }
                    break
                }
                let cName = (UnsafeRawPointer(ent) + nameOffset).assumingMemoryBound(to: CChar.self)
                let length = strlen(cName)
                if cName[0] == 0x2e && (length == 1 || (length == 2 && cName[1] == 0x2e)) { continue }
                addChild(
                    dirfd: dirfd(dir), cName: cName, length: length, to: &frame, included: included, rules: childRules,
                    reportMissing: true)
            }
        }

        let allNames = frame.names
        allNames.withUnsafeBufferPointer { names in
            let base = names.baseAddress
            frame.items.sort { a, b in
                let common = Int(min(a.nameLength, b.nameLength))
                if common > 0 {
                    let c = memcmp(base! + Int(a.nameStart), base! + Int(b.nameStart), common)
                    if c != 0 { return c < 0 }
                }
                // Equal up to the shorter name: compare the next key byte,
                // where a descent contributes its virtual "/" and the end of
                // a key sorts first.
                func next(_ item: Item) -> Int {
                    if Int(item.nameLength) > common { return Int(names[Int(item.nameStart) + common]) }
                    return item.kind.sortsWithSlash ? Int(PathBytes.slash) : -1
                }
                return next(a) < next(b)
            }
        }
        return frame
    }

    /// Examines one directory entry and adds the items it needs.
    private func addChild(
        dirfd: Int32, cName: UnsafePointer<CChar>, length: Int, to frame: inout Frame,
        included parentIncluded: Bool, rules: DirectoryRules, reportMissing: Bool
    ) {
        let nameBuffer = UnsafeBufferPointer(
            start: UnsafeRawPointer(cName).assumingMemoryBound(to: UInt8.self), count: length)
        var st = stat()
        if fstatat(dirfd, cName, &st, AT_SYMLINK_NOFOLLOW) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                if reportMissing { warn(frame.path, nameBuffer, "vanished while being walked") }
                return
            }
            warn(frame.path, nameBuffer, "lstat: \(String(cString: strerror(code)))")
            // Unknown state: whatever the profile says about it stays untouched.
            let start = UInt32(frame.names.count)
            frame.names.append(contentsOf: nameBuffer)
            frame.items.append(Item(nameStart: start, nameLength: UInt32(length), kind: .unknown))
            frame.items.append(Item(nameStart: start, nameLength: UInt32(length), kind: .unknownSubtree))
            return
        }
        if nameBuffer.contains(PathBytes.newline) || nameBuffer.contains(PathBytes.tab) {
            warn(
                frame.path, nameBuffer,
                "name holds a TAB or newline, which the dirindex and fsdelta formats cannot hold; skipped")
            return
        }

        let isIncluded = rules.decision(forName: nameBuffer) ?? parentIncluded
        let isDirectory = st.st_mode & S_IFMT == S_IFDIR
        var descent: ItemKind?
        if isIncluded {
            if isDirectory { descent = .descendIncluded }
        } else if isDirectory {
            // The plan is computed again on descent; here it only decides
            // whether the subtree can hold anything included.
            let childPath = PathBytes.join(frame.path, Array(nameBuffer))
            if limits.descentPlan(below: childPath) != nil { descent = .descendExcluded }
        }
        if !isIncluded && descent == nil { return }

        let start = UInt32(frame.names.count)
        frame.names.append(contentsOf: nameBuffer)
        var item = Item(
            nameStart: start, nameLength: UInt32(length), kind: .emit,
            mode: st.st_mode, uid: st.st_uid, gid: st.st_gid,
            size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec))
        if isIncluded && readsSymlinkTargets && st.st_mode & S_IFMT == S_IFLNK {
            let n = linkBuffer.withUnsafeMutableBufferPointer { b in
                readlinkat(
                    dirfd, cName, UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), b.count)
            }
            if n >= 0 {
                item.targetStart = UInt32(frame.names.count)
                item.targetLength = UInt32(n)
                item.hasTarget = true
                frame.names.append(contentsOf: linkBuffer[0..<n])
            } else {
                warn(frame.path, nameBuffer, "readlink: \(String(cString: strerror(errno)))")
            }
        }
        if isIncluded { frame.items.append(item) }
        if let descent {
            item.kind = descent
            frame.items.append(item)
        }
    }

    private func unreadable(_ path: [UInt8], errno code: Int32, _ body: (WalkEvent) throws -> Void) throws {
        if code == ENOENT || code == ENOTDIR {
            warnings.append(WalkWarning(path: path, message: "vanished while being walked"))
            return
        }
        warnings.append(WalkWarning(path: path, message: "cannot read directory: \(String(cString: strerror(code)))"))
        try path.withUnsafeBufferPointer { try body(.unknownSubtree($0)) }
    }

    private func warn(_ directory: [UInt8], _ name: UnsafeBufferPointer<UInt8>, _ message: String) {
        warnings.append(WalkWarning(path: PathBytes.join(directory, Array(name)), message: message))
    }
}
