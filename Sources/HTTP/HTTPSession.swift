internal import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// One libcurl easy handle, reused for consecutive transfers so the
/// connection stays open. Not thread-safe: one transfer at a time, from one
/// thread at a time (take sessions from an `HTTPSessionPool` to share).
public final class HTTPSession {
    private let handle: UnsafeMutableRawPointer

    /// Call once at program start, before any threads, to initialise libcurl
    /// (creating the first session does it too).
    public static func globalInit() { _ = curlGlobalInit }

    public init() throws {
        _ = curlGlobalInit
        guard let h = curl_easy_init() else {
            throw HTTPError(kind: .other, code: 0, message: "libcurl could not create a transfer handle")
        }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// Runs one request to completion. Throws `HTTPError` when no complete
    /// response arrived; any HTTP status, 4xx and 5xx included, is a response.
    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        curl_easy_reset(handle)
        let context = TransferContext(destination: request.destination)
        defer { context.closeFiles() }
        try context.openBody(request.body)
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let isFTP = request.url.hasPrefix("ftp://") || request.url.hasPrefix("ftps://")

        var list: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(list) }
        for (name, value) in request.headers {
            // "Name:" would remove the header; "Name;" sends it empty.
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        list = curl_slist_append(list, "Expect:")  // no 100-continue round trip (S3 may answer 417)

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        // Runs first: the handle keeps its connections but forgets the
        // header list, buffers and context freed by the defers above.
        defer { curl_easy_reset(handle) }

        try check(bam_curl_setopt_str(handle, CURLOPT_URL, request.url))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        try check(bam_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        try check(bam_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        try check(bam_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, request.timeouts.connectSeconds))
        try check(bam_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, request.timeouts.lowSpeedBytesPerSecond))
        try check(bam_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, request.timeouts.lowSpeedSeconds))
        try check(bam_curl_set_header_function(handle, headerCallback))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, contextPointer))
        try check(bam_curl_set_write_function(handle, writeCallback))
        try check(bam_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, contextPointer))
        // libcurl's defaults, stated: a certificate is always checked, a
        // private CA is added with a CA file, never by turning checks off.
        try check(bam_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        try check(bam_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let caFile = request.tls.caFile { try check(bam_curl_setopt_str(handle, CURLOPT_CAINFO, caFile)) }
        if let credentials = request.credentials {
            try check(bam_curl_setopt_str(handle, CURLOPT_USERNAME, credentials.user))
            try check(bam_curl_setopt_str(handle, CURLOPT_PASSWORD, credentials.password))
            if !isFTP { try check(bam_curl_setopt_long(handle, CURLOPT_HTTPAUTH, 1 /* CURLAUTH_BASIC, a macro Swift does not import */)) }
        }
        var quote: UnsafeMutablePointer<curl_slist>? = nil
        var postQuote: UnsafeMutablePointer<curl_slist>? = nil
        defer {
            curl_slist_free_all(quote)
            curl_slist_free_all(postQuote)
        }
        if isFTP {
            for command in request.quote { quote = curl_slist_append(quote, command) }
            for command in request.postQuote { postQuote = curl_slist_append(postQuote, command) }
            if quote != nil { try check(bam_curl_setopt_ptr(handle, CURLOPT_QUOTE, UnsafeMutableRawPointer(quote))) }
            if postQuote != nil { try check(bam_curl_setopt_ptr(handle, CURLOPT_POSTQUOTE, UnsafeMutableRawPointer(postQuote))) }
            if request.requireTLS { try check(bam_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))) }
            if request.createDirectories { try check(bam_curl_setopt_long(handle, CURLOPT_FTP_CREATE_MISSING_DIRS, Int(CURLFTP_CREATE_DIR.rawValue))) }
            if let range = request.range { try check(bam_curl_setopt_str(handle, CURLOPT_RANGE, range)) }
        }

        let method = request.method.uppercased()
        if isFTP {
            // FTP: PUT uploads (STOR), HEAD only runs the commands (and
            // SIZE for a file URL), anything else downloads or lists.
            if method == "PUT" {
                try check(bam_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
                try check(bam_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.length)))
                try check(bam_curl_set_read_function(handle, readCallback))
                try check(bam_curl_setopt_ptr(handle, CURLOPT_READDATA, contextPointer))
            } else if method == "HEAD" {
                try check(bam_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
            } else if method != "GET" {
                try check(bam_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method))  // a listing command, as given: LIST -a
            }
            if request.requireTLS {
                // TLS 1.2 exactly: vsftpd 3.0.3 (Debian's) breaks data
                // connections under TLS 1.3 after a few transfers (426,
                // 522 session reuse); 1.2 is what FTPS servers all get right.
                try check(bam_curl_setopt_long(handle, CURLOPT_SSLVERSION, 6 | (6 << 16)))  // CURL_SSLVERSION_TLSv1_2 | MAX_TLSv1_2
            }
            return try finish(request, context: context, errorBuffer: errorBuffer, ftp: true)
        }
        let sendsBody: Bool
        switch request.body {
        case .none: sendsBody = method == "PUT" || method == "POST"
        default: sendsBody = true
        }
        if method == "HEAD" {
            try check(bam_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else if sendsBody {
            try check(bam_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            try check(bam_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.length)))
            try check(bam_curl_set_read_function(handle, readCallback))
            try check(bam_curl_setopt_ptr(handle, CURLOPT_READDATA, contextPointer))
            try check(bam_curl_set_seek_function(handle, seekCallback))
            try check(bam_curl_setopt_ptr(handle, CURLOPT_SEEKDATA, contextPointer))
            if method != "PUT" { try check(bam_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)) }
        } else if method == "GET" {
            try check(bam_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        } else {
            try check(bam_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method))
        }

        return try finish(request, context: context, errorBuffer: errorBuffer, ftp: false)
    }

    /// Runs the transfer set up by `perform`. An FTP transfer's status is
    /// the server's last reply code, and its body (a download's bytes or a
    /// listing) is treated as a 2xx response's; `contentLength` of a HEAD
    /// is what `SIZE` answered.
    private func finish(
        _ request: HTTPRequest, context: TransferContext, errorBuffer: UnsafeMutablePointer<CChar>, ftp: Bool
    ) throws -> HTTPResponse {
        if ftp { context.status = 200 }
        let rc = curl_easy_perform(handle)
        if rc != CURLE_OK {
            context.discardDestination()
            if let error = context.error { throw error }
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
            throw HTTPError(kind: Self.kind(of: Int(rc.rawValue)), code: Int(rc.rawValue), message: text)
        }
        var status = 0
        _ = bam_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if ftp {
            var length: curl_off_t = -1
            _ = bam_curl_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
            // The server's reply lines reached the header callback: none of
            // them is a header, so a hostile reply cannot pose as one.
            var headers: [(name: String, value: String)] = []
            if length >= 0 { headers.append((name: "Content-Length", value: String(length))) }
            do { try context.finishDestination() } catch {
                context.discardDestination()
                throw error
            }
            return HTTPResponse(status: 200, headers: headers, body: context.body, bytesWritten: context.written)
        }
        if (200..<300).contains(status) {
            do { try context.finishDestination() } catch {
                context.discardDestination()
                throw error
            }
        }
        return HTTPResponse(status: status, headers: context.headers, body: context.body, bytesWritten: context.written)
    }

    private func check(_ rc: CURLcode) throws {
        if rc != CURLE_OK {
            throw HTTPError(kind: .other, code: Int(rc.rawValue), message: "libcurl option: \(String(cString: curl_easy_strerror(rc)))")
        }
    }

    static func kind(of code: Int) -> HTTPError.Kind {
        switch code {
        case 5, 6: return .couldNotResolve
        case 7: return .couldNotConnect
        case 28: return .timeout
        case 18: return .partialBody
        case 8, 16, 52, 55, 56, 92: return .connectionLost
        case 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91: return .tls
        case 23, 26: return .localFile
        default: return .other
        }
    }
}

private let curlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_ALL))
}()

/// The state a transfer's callbacks share, reached through the `*DATA` pointer.
private final class TransferContext {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var written: Int64 = 0
    var error: HTTPError?

    let destinationPath: String?
    /// Where in the file the body goes, for a `.fileRegion` destination.
    let destinationOffset: Int64?
    var outputFD: Int32 = -1

    var uploadBytes: [UInt8] = []
    var uploadFD: Int32 = -1
    var uploadPath = ""
    var uploadOffset: Int64 = 0
    var uploadLength: Int64 = 0
    var uploadPosition: Int64 = 0

    init(destination: HTTPResponseDestination) {
        switch destination {
        case .memory: destinationPath = nil; destinationOffset = nil
        case let .file(path): destinationPath = path; destinationOffset = nil
        case let .fileRegion(path, offset): destinationPath = path; destinationOffset = offset
        }
    }

    /// Whether the body of this response goes to the destination file.
    private var bodyGoesToFile: Bool {
        guard destinationPath != nil, (200..<300).contains(status) else { return false }
        return destinationOffset == nil || status == 206
    }

    func openBody(_ body: HTTPBody) throws {
        switch body {
        case .none: break
        case let .bytes(bytes):
            uploadBytes = bytes
            uploadLength = Int64(bytes.count)
        case let .file(path, offset, length):
            uploadFD = open(path, O_RDONLY | O_CLOEXEC)
            if uploadFD < 0 {
                throw HTTPError(kind: .localFile, code: 0, message: "open \(path): \(String(cString: strerror(errno)))")
            }
            uploadPath = path
            uploadOffset = offset
            uploadLength = length
        }
    }

    func closeFiles() {
        if uploadFD >= 0 { close(uploadFD); uploadFD = -1 }
        if outputFD >= 0 { close(outputFD); outputFD = -1 }
    }

    func openOutput() -> Bool {
        guard let path = destinationPath else { return false }
        if outputFD >= 0 { return true }
        let region = destinationOffset != nil
        outputFD = region ? open(path, O_WRONLY | O_CLOEXEC) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if outputFD < 0 {
            error = HTTPError(kind: .localFile, code: 0, message: "\(region ? "open" : "create") \(path): \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    /// After a 2xx: the file exists even when the body was empty.
    func finishDestination() throws {
        guard destinationPath != nil else { return }
        if destinationOffset != nil && outputFD < 0 { return }  // a region with no body: nothing to close
        if outputFD < 0 && !openOutput() { throw error! }
        let rc = close(outputFD)
        outputFD = -1
        if rc != 0 {
            throw HTTPError(kind: .localFile, code: 0, message: "close \(destinationPath!): \(String(cString: strerror(errno)))")
        }
    }

    /// After a failed transfer: no partial file is left behind.
    func discardDestination() {
        guard let path = destinationPath, outputFD >= 0 else { return }
        close(outputFD)
        outputFD = -1
        if destinationOffset == nil { unlink(path) }  // a region belongs to a file the caller owns
    }

    func write(_ data: UnsafeRawPointer, _ count: Int) -> Bool {
        if bodyGoesToFile {
            guard openOutput() else { return false }
            var done = 0
            while done < count {
                let n =
                    destinationOffset.map { pwrite(outputFD, data + done, count - done, off_t($0 + written) + off_t(done)) }
                    ?? Glibc.write(outputFD, data + done, count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = HTTPError(kind: .localFile, code: 0, message: "write \(destinationPath!): \(String(cString: strerror(errno)))")
                    return false
                }
                done += n
            }
            written += Int64(count)
        } else {
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        }
        return true
    }

    func header(_ data: UnsafeRawPointer, _ count: Int) {
        var line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        while let last = line.last, last.isNewline { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new response (after a 100 Continue, say): start over.
            headers = []
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((name: name, value: String(value)))
        }
    }

    /// Fills `buffer` with the next request-body bytes; -1 on error.
    func read(into buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        let want = Int(min(Int64(capacity), uploadLength - uploadPosition))
        if want <= 0 { return 0 }
        if uploadFD >= 0 {
            while true {
                let n = pread(uploadFD, buffer, want, off_t(uploadOffset + uploadPosition))
                if n < 0 && errno == EINTR { continue }
                if n < 0 {
                    error = HTTPError(kind: .localFile, code: 0, message: "read \(uploadPath): \(String(cString: strerror(errno)))")
                    return -1
                }
                if n == 0 {
                    error = HTTPError(kind: .localFile, code: 0, message: "\(uploadPath) is shorter than the \(uploadLength) bytes being sent")
                    return -1
                }
                uploadPosition += Int64(n)
                return n
            }
        }
        uploadBytes.withUnsafeBytes { raw in
            buffer.copyMemory(from: raw.baseAddress! + Int(uploadPosition), byteCount: want)
        }
        uploadPosition += Int64(want)
        return want
    }
}

private func context(_ pointer: UnsafeMutableRawPointer?) -> TransferContext {
    Unmanaged<TransferContext>.fromOpaque(pointer!).takeUnretainedValue()
}

private let writeCallback: bam_curl_data_cb = { data, size, count, user in
    let total = size * count
    guard let data else { return total }
    return context(user).write(UnsafeRawPointer(data), total) ? total : bam_curl_writefunc_error()
}

private let headerCallback: bam_curl_data_cb = { data, size, count, user in
    let total = size * count
    if let data { context(user).header(UnsafeRawPointer(data), total) }
    return total
}

private let readCallback: bam_curl_data_cb = { data, size, count, user in
    guard let data else { return bam_curl_readfunc_abort() }
    let n = context(user).read(into: UnsafeMutableRawPointer(data), size * count)
    return n < 0 ? bam_curl_readfunc_abort() : n
}

private let seekCallback: bam_curl_seek_cb = { user, offset, origin in
    let ctx = context(user)
    guard origin == SEEK_SET, offset >= 0, Int64(offset) <= ctx.uploadLength else { return 2 }  // CURL_SEEKFUNC_CANTSEEK
    ctx.uploadPosition = Int64(offset)
    return 0  // CURL_SEEKFUNC_OK
}
