internal import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a server is and how to log in: a private key file or the ssh
/// agent (`SSH_AUTH_SOCK`), never a password; its host key checked against
/// a known_hosts file.
public struct SFTPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    /// nil: the agent's keys.
    public var privateKeyFile: String?
    public var knownHostsFile: String
    /// Whether a host key the file does not know is accepted and recorded
    /// (never a changed one).
    public var acceptNewHostKey: Bool
    public var connectTimeoutSeconds = 15
    /// A transfer slower than 1 byte/s for this long, or a server silent
    /// this long, is abandoned.
    public var stallTimeoutSeconds = 60

    public init(host: String, port: Int, user: String, privateKeyFile: String?, knownHostsFile: String, acceptNewHostKey: Bool) {
        self.host = host
        self.port = port
        self.user = user
        self.privateKeyFile = privateKeyFile
        self.knownHostsFile = knownHostsFile
        self.acceptNewHostKey = acceptNewHostKey
    }
}

/// One SFTP operation: a transfer (or none), with commands around it.
/// Remote paths are absolute (`/srv/x`) or start with `/~/` (the login's
/// home directory), as libcurl takes them.
public struct SFTPRequest {
    public enum Destination {
        /// At most `limit` bytes; more is `SFTPError.Kind.tooLarge`.
        case memory(limit: Int)
        /// Created (truncated) when the first byte arrives, or empty after
        /// a transfer without bytes; removed when the transfer fails.
        case file(path: String)
        /// Written into the existing file from `offset`; never created,
        /// truncated or removed.
        case fileRegion(path: String, offset: Int64)
    }

    /// The file read, written or uploaded to; a directory (ending in `/`)
    /// for a listing or for `commands` alone.
    public var path: String
    /// A local file to upload to `path` (its directories made if missing).
    public var upload: String?
    /// Bytes to upload to `path`, instead of a file.
    public var uploadBytes: [UInt8]?
    public var destination: Destination = .memory(limit: 1 << 20)
    /// Bytes of the remote file to read.
    public var range: Range<Int64>?
    /// Start reading there (a probe beyond the end reports the size).
    public var resumeFrom: Int64?
    /// Commands run before the transfer (libcurl's SFTP quote commands:
    /// `rename A B`, `rm A`, ...; `*` first ignores their failure).
    public var before: [String] = []
    /// Commands run after a successful transfer.
    public var after: [String] = []
    /// Run the commands only (with a directory `path`).
    public var commandsOnly = false

    public init(path: String) { self.path = path }

    /// A path quoted for a command: libcurl reads `"..."` with `\"` and `\\`.
    public static func quoted(_ path: String) -> String {
        "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

public struct SFTPResponse {
    public let body: [UInt8]
    public let bytesWritten: Int64
}

/// One libcurl handle speaking SFTP, reused for consecutive operations so
/// the SSH connection stays open. One operation at a time, from one thread
/// at a time (share through an `SFTPSessionPool`).
public final class SFTPSession {
    private let handle: UnsafeMutableRawPointer
    public let endpoint: SFTPEndpoint

    public init(endpoint: SFTPEndpoint) throws {
        _ = sftpCurlGlobalInit
        guard let h = curl_easy_init() else {
            throw SFTPError(kind: .other, code: 0, message: "libcurl could not create a transfer handle")
        }
        handle = h
        self.endpoint = endpoint
    }

    deinit { curl_easy_cleanup(handle) }

    /// The URL of a remote path, every byte but unreserved ones and `/`
    /// percent-encoded.
    func url(_ path: String) -> String {
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return "sftp://\(host):\(endpoint.port)\(encoded)"
    }

    public func perform(_ request: SFTPRequest) throws -> SFTPResponse {
        guard !request.path.utf8.contains(0), !(request.before + request.after).contains(where: { $0.utf8.contains(0) }) else {
            throw SFTPError(kind: .other, code: 0, message: "a path holds a NUL byte")
        }
        curl_easy_reset(handle)
        let context = SFTPTransferContext(destination: request.destination)
        defer { context.closeFiles() }
        if let upload = request.upload { try context.openUpload(upload) }
        if let bytes = request.uploadBytes { context.uploadFromMemory(bytes) }
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let hostKeys = SFTPHostKeyCheck(
            knownHostsFile: endpoint.knownHostsFile, host: endpoint.host, port: endpoint.port, acceptNew: endpoint.acceptNewHostKey)
        let checkPointer = Unmanaged.passUnretained(hostKeys).toOpaque()

        var before: UnsafeMutablePointer<curl_slist>? = nil
        var after: UnsafeMutablePointer<curl_slist>? = nil
        defer {
            curl_slist_free_all(before)
            curl_slist_free_all(after)
        }
        for command in request.before { before = curl_slist_append(before, command) }
        for command in request.after { after = curl_slist_append(after, command) }

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        // Runs first: the handle keeps its connection but forgets the lists,
        // buffers and contexts freed by the defers above.
        defer { curl_easy_reset(handle) }

        try check(bam_curl_setopt_str(handle, CURLOPT_URL, url(request.path)))
        try check(bam_curl_setopt_str(handle, CURLOPT_USERNAME, endpoint.user))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        try check(bam_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, endpoint.connectTimeoutSeconds))
        try check(bam_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, endpoint.stallTimeoutSeconds))
        try check(bam_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, endpoint.stallTimeoutSeconds))
        try check(bam_curl_setopt_long(handle, CURLOPT_NEW_FILE_PERMS, 0o600))
        try check(bam_curl_setopt_long(handle, CURLOPT_NEW_DIRECTORY_PERMS, 0o700))
        try check(bam_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "sftp"))

        // Authentication: the key file, else the agent; never a password.
        if let key = endpoint.privateKeyFile {
            try check(bam_curl_setopt_long(handle, CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_PUBLICKEY)))
            try check(bam_curl_setopt_str(handle, CURLOPT_SSH_PRIVATE_KEYFILE, key))
        } else {
            try check(bam_curl_setopt_long(handle, CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_AGENT)))
        }
        // The host key: checked against the file by libcurl, decided here.
        try check(bam_curl_setopt_str(handle, CURLOPT_SSH_KNOWNHOSTS, endpoint.knownHostsFile))
        try check(bam_curl_set_ssh_key_function(handle, sshKeyCallback))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_SSH_KEYDATA, checkPointer))

        if before != nil { try check(bam_curl_setopt_ptr(handle, CURLOPT_QUOTE, UnsafeMutableRawPointer(before))) }
        if after != nil { try check(bam_curl_setopt_ptr(handle, CURLOPT_POSTQUOTE, UnsafeMutableRawPointer(after))) }
        try check(bam_curl_set_write_function(handle, sftpWriteCallback))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, contextPointer))

        if request.commandsOnly {
            try check(bam_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else if request.upload != nil || request.uploadBytes != nil {
            try check(bam_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            try check(bam_curl_setopt_long(handle, CURLOPT_FTP_CREATE_MISSING_DIRS, Int(CURLFTP_CREATE_DIR.rawValue)))
            try check(bam_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(context.uploadLength)))
            try check(bam_curl_set_read_function(handle, sftpReadCallback))
            try check(bam_curl_setopt_ptr(handle, CURLOPT_READDATA, contextPointer))
        } else {
            if let range = request.range, !range.isEmpty {
                try check(bam_curl_setopt_str(handle, CURLOPT_RANGE, "\(range.lowerBound)-\(range.upperBound - 1)"))
            }
            if let resumeFrom = request.resumeFrom {
                try check(bam_curl_setopt_off(handle, CURLOPT_RESUME_FROM_LARGE, curl_off_t(resumeFrom)))
            }
        }

        let rc = curl_easy_perform(handle)
        if rc != CURLE_OK {
            context.discardDestination()
            let code = Int(rc.rawValue)
            // A key accepted but not recorded is that failure, not an unknown key.
            if let failure = hostKeys.pinFailure { throw SFTPError(kind: .localFile, code: code, message: failure) }
            if let problem = hostKeys.problem {
                throw SFTPError(kind: .hostKey, code: code, message: "host key refused", hostKey: problem)
            }
            if let error = context.error { throw error }
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
            throw SFTPError(kind: Self.kind(of: code), code: code, message: text)
        }
        try context.finishDestination()
        return SFTPResponse(body: context.body, bytesWritten: context.written)
    }

    private func check(_ rc: CURLcode) throws {
        if rc != CURLE_OK {
            throw SFTPError(kind: .other, code: Int(rc.rawValue), message: "libcurl option: \(String(cString: curl_easy_strerror(rc)))")
        }
    }

    static func kind(of code: Int) -> SFTPError.Kind {
        switch code {
        case 5, 6: return .couldNotResolve
        case 7: return .couldNotConnect
        case 28: return .timeout
        case 8, 16, 18, 52, 55, 56: return .connectionLost
        case 60: return .hostKey
        case 67: return .loginDenied
        case 9: return .accessDenied
        case 78: return .notFound
        case 21: return .commandFailed
        case 36: return .beyondEnd
        case 23, 26: return .localFile
        default: return .other
        }
    }
}

private let sftpCurlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_ALL))
}()

/// The state a transfer's callbacks share, reached through the `*DATA` pointer.
private final class SFTPTransferContext {
    var body: [UInt8] = []
    var written: Int64 = 0
    var error: SFTPError?
    let destination: SFTPRequest.Destination
    var outputFD: Int32 = -1

    var uploadFD: Int32 = -1
    var uploadBytes: [UInt8] = []
    var uploadPath = ""
    var uploadLength: Int64 = 0
    var uploadPosition: Int64 = 0

    init(destination: SFTPRequest.Destination) { self.destination = destination }

    func openUpload(_ path: String) throws {
        uploadFD = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        if uploadFD < 0 || fstat(uploadFD, &st) != 0 {
            throw SFTPError(kind: .localFile, code: 0, message: "open \(path): \(String(cString: strerror(errno)))")
        }
        uploadPath = path
        uploadLength = Int64(st.st_size)
    }

    func uploadFromMemory(_ bytes: [UInt8]) {
        uploadBytes = bytes
        uploadPath = "memory"
        uploadLength = Int64(bytes.count)
    }

    func closeFiles() {
        if uploadFD >= 0 { close(uploadFD); uploadFD = -1 }
        if outputFD >= 0 { close(outputFD); outputFD = -1 }
    }

    private func openOutput() -> Bool {
        if outputFD >= 0 { return true }
        switch destination {
        case .memory: return false
        case let .file(path):
            outputFD = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        case let .fileRegion(path, _):
            outputFD = open(path, O_WRONLY | O_CLOEXEC)
        }
        if outputFD < 0 {
            error = SFTPError(kind: .localFile, code: 0, message: "open \(outputPath): \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    private var outputPath: String {
        switch destination {
        case .memory: return "memory"
        case let .file(path): return path
        case let .fileRegion(path, _): return path
        }
    }

    /// After success: a file destination exists even when nothing came.
    func finishDestination() throws {
        if case .file = destination, outputFD < 0, !openOutput() {
            throw error ?? SFTPError(kind: .localFile, code: 0, message: "cannot create \(outputPath)")
        }
        if outputFD >= 0 {
            let rc = close(outputFD)
            outputFD = -1
            if rc != 0 { throw SFTPError(kind: .localFile, code: 0, message: "close \(outputPath): \(String(cString: strerror(errno)))") }
        }
    }

    /// After a failure: no partial file is left behind.
    func discardDestination() {
        guard outputFD >= 0 else { return }
        close(outputFD)
        outputFD = -1
        if case let .file(path) = destination { unlink(path) }
    }

    func write(_ data: UnsafeRawPointer, _ count: Int) -> Bool {
        if case let .memory(limit) = destination {
            guard body.count + count <= limit else {
                error = SFTPError(kind: .tooLarge, code: 0, message: "more than the \(limit) bytes expected")
                return false
            }
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
            written += Int64(count)
            return true
        }
        guard openOutput() else { return false }
        var base: Int64 = 0
        if case let .fileRegion(_, offset) = destination { base = offset }
        var done = 0
        while done < count {
            let n = pwrite(outputFD, data + done, count - done, off_t(base + written) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                error = SFTPError(kind: .localFile, code: 0, message: "write \(outputPath): \(String(cString: strerror(errno)))")
                return false
            }
            done += n
        }
        written += Int64(count)
        return true
    }

    /// Fills `buffer` with the next bytes to upload; -1 on error.
    func read(into buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        let want = Int(min(Int64(capacity), uploadLength - uploadPosition))
        if want <= 0 { return 0 }
        if uploadFD < 0 {
            uploadBytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { buffer.copyMemory(from: base + Int(uploadPosition), byteCount: want) }
            }
            uploadPosition += Int64(want)
            return want
        }
        while true {
            let n = pread(uploadFD, buffer, want, off_t(uploadPosition))
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                error = SFTPError(kind: .localFile, code: 0, message: "read \(uploadPath): \(String(cString: strerror(errno)))")
                return -1
            }
            if n == 0 {
                error = SFTPError(kind: .localFile, code: 0, message: "\(uploadPath) shrank while it was being sent")
                return -1
            }
            uploadPosition += Int64(n)
            return n
        }
    }
}

private func transferContext(_ pointer: UnsafeMutableRawPointer?) -> SFTPTransferContext? {
    pointer.map { Unmanaged<SFTPTransferContext>.fromOpaque($0).takeUnretainedValue() }
}

private let sftpWriteCallback: bam_curl_data_cb = { data, size, count, user in
    let total = size * count
    guard let data, let context = transferContext(user) else { return total }
    return context.write(UnsafeRawPointer(data), total) ? total : bam_curl_writefunc_error()
}

private let sftpReadCallback: bam_curl_data_cb = { data, size, count, user in
    guard let data, let context = transferContext(user) else { return bam_curl_readfunc_abort() }
    let n = context.read(into: UnsafeMutableRawPointer(data), size * count)
    return n < 0 ? bam_curl_readfunc_abort() : n
}

private let sshKeyCallback: bam_curl_sshkey_cb = { _, _, found, match, user in
    let reject = Int32(CURLKHSTAT_REJECT.rawValue)
    guard let user, let found else { return reject }
    let check = Unmanaged<SFTPHostKeyCheck>.fromOpaque(user).takeUnretainedValue()
    let key: [UInt8]
    if found.pointee.len > 0 {
        key = Array(UnsafeRawBufferPointer(start: found.pointee.key, count: found.pointee.len))
    } else if let text = found.pointee.key, let decoded = Data(base64Encoded: String(cString: text)) {
        key = Array(decoded)
    } else {
        return reject
    }
    let how: SFTPHostKeyCheck.Match
    switch match {
    case CURLKHMATCH_OK: how = .known
    case CURLKHMATCH_MISMATCH: how = .changed
    default: how = .missing
    }
    return check.decide(key: key, match: how) ? Int32(CURLKHSTAT_FINE.rawValue) : reject
}
