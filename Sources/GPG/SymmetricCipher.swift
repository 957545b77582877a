import Deflate
import Foundation
internal import CGpgme
#if canImport(Glibc)
import Glibc
#endif

/// Symmetric OpenPGP encryption and decryption through gpgme, in the form
/// duplicity writes and reads (SKESK + SEIPD with MDC, binary output).
///
/// The passphrase reaches gpg only through gpgme's loopback passphrase
/// callback (a pipe): never argv, never the environment. Each call makes
/// its own gpgme context, so one cipher may be used from several threads.
///
/// gpg never compresses: where compression pays, bam hands gpg a finished
/// compressed OpenPGP message (`CompressedMessageReader`, ISA-L) to wrap.
/// That takes the costliest work out of gpg (zlib was 40% of a backup's
/// CPU time), and gpgme pumps the smaller compressed stream to gpg.
public final class SymmetricCipher {
    private let home: GPGHome
    private let passphrase: [UInt8]
    private let compression: VolumeCompression

    public init(home: GPGHome, passphrase: [UInt8], compression: VolumeCompression = .balanced) {
        self.home = home
        self.passphrase = passphrase
        self.compression = compression
    }

    /// Encrypts everything readable from `inputFD`, handing the ciphertext
    /// to `output` in pieces. `compress` false stores the data as it is
    /// (for data that would not shrink).
    public func encrypt(inputFD: Int32, compress: Bool, output: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        try withContext { ctx in
            var plain: gpgme_data_t?
            let message = compress ? try CompressedMessageReader(fd: inputFD, compression: compression) : nil
            let source = message.map { message in CallbackData(reader: { try message.read(into: $0) }) }
            if let source {
                try check(gpgme_data_new_from_cbs(&plain, source.callbacks, Unmanaged.passUnretained(source).toOpaque()), "reading the input")
            } else {
                try check(gpgme_data_new_from_fd(&plain, inputFD), "reading the input")
            }
            defer { gpgme_data_release(plain) }
            let sink = CallbackData(writer: output)
            var cipher: gpgme_data_t?
            try check(gpgme_data_new_from_cbs(&cipher, sink.callbacks, Unmanaged.passUnretained(sink).toOpaque()), "preparing the output")
            defer { gpgme_data_release(cipher) }
            setBufferSizes(input: plain, output: cipher)
            // WRAP: the input is already an OpenPGP message (gpg gets
            // --no-literal and no compression of its own).
            var flags = GPGME_ENCRYPT_SYMMETRIC.rawValue
            flags |= compress ? GPGME_ENCRYPT_WRAP.rawValue : GPGME_ENCRYPT_NO_COMPRESS.rawValue
            let err = gpgme_op_encrypt(ctx, nil, gpgme_encrypt_flags_t(rawValue: flags), plain, cipher)
            if let failure = source?.failure ?? sink.failure { throw failure }
            try check(err, "encrypting")
        }
    }

    /// Encrypts a byte array (manifests, signature archives are small).
    public func encrypt(_ bytes: [UInt8], compress: Bool = true) throws -> [UInt8] {
        var out: [UInt8] = []
        try Pipe.feeding(bytes) { fd in
            try encrypt(inputFD: fd, compress: compress) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Decrypts everything readable from `inputFD`, handing the plain data
    /// to `output` in pieces.
    ///
    /// gpg only removes the encryption (`--unwrap`); the message inside is
    /// decompressed here (`LiteralDataExtractor`, every algorithm OpenPGP
    /// defines), so a compression nothing can decode, or a damaged
    /// compressed stream, is `GPGError.damaged`: never an empty result.
    public func decrypt(inputFD: Int32, output: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        do {
            try withContext { ctx in
                var cipher: gpgme_data_t?
                try check(gpgme_data_new_from_fd(&cipher, inputFD), "reading the input")
                defer { gpgme_data_release(cipher) }
                let extractor = LiteralDataExtractor(emit: output)
                let sink = CallbackData(writer: { try extractor.feed($0) })
                var plain: gpgme_data_t?
                try check(gpgme_data_new_from_cbs(&plain, sink.callbacks, Unmanaged.passUnretained(sink).toOpaque()), "preparing the output")
                defer { gpgme_data_release(plain) }
                setBufferSizes(input: cipher, output: plain)
                let err = gpgme_op_decrypt_ext(ctx, GPGME_DECRYPT_UNWRAP, cipher, plain)
                if let failure = sink.failure { throw failure }
                if err != 0 { throw classifyDecryptError(err) }
                try extractor.finish()
            }
        } catch let failure as LiteralDataExtractor.Failure {
            throw GPGError.damaged("\(failure)")
        }
    }

    public func decrypt(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try Pipe.feeding(bytes) { fd in
            try decrypt(inputFD: fd) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// gpgme moves data through 4 KiB buffers by default: a poll and two
    /// system calls per 4 KiB. gpg's output is read in 64 KiB, what a pipe
    /// holds. Its input is written in 16 KiB: gpgme 1.18 traces the whole
    /// pending buffer again on every partial pipe write, so 64 KiB was
    /// slower than 4, and 16 KiB was 3% faster over a whole backup.
    private func setBufferSizes(input: gpgme_data_t?, output: gpgme_data_t?) {
        _ = gpgme_data_set_flag(input, "io-buffer-size", "16384")
        _ = gpgme_data_set_flag(output, "io-buffer-size", "65536")
    }

    private func classifyDecryptError(_ err: gpgme_error_t) -> GPGError {
        let code = bam_gpgme_err_code(err)
        let text = String(cString: gpgme_strerror(err))
        switch Int32(code) {
        case Int32(GPG_ERR_BAD_PASSPHRASE.rawValue), Int32(GPG_ERR_BAD_KEY.rawValue), Int32(GPG_ERR_CANCELED.rawValue):
            return .badPassphrase
        case Int32(GPG_ERR_NO_DATA.rawValue), Int32(GPG_ERR_DECRYPT_FAILED.rawValue), Int32(GPG_ERR_BAD_SIGNATURE.rawValue),
            Int32(GPG_ERR_INV_PACKET.rawValue), Int32(GPG_ERR_CHECKSUM.rawValue), Int32(GPG_ERR_BAD_DATA.rawValue),
            Int32(GPG_ERR_UNEXPECTED.rawValue), Int32(GPG_ERR_INV_DATA.rawValue):
            return .damaged(text)
        default:
            return .failed(text)
        }
    }

    private func withContext<R>(_ body: (gpgme_ctx_t) throws -> R) throws -> R {
        var maybeCtx: gpgme_ctx_t?
        try check(gpgme_new(&maybeCtx), "creating a context")
        guard let ctx = maybeCtx else { throw GPGError.failed("gpgme_new returned no context") }
        defer { gpgme_release(ctx) }
        try check(gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP), "selecting OpenPGP")
        try check(gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nil, home.path), "setting the GnuPG home")
        gpgme_set_armor(ctx, 0)
        try check(gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK), "setting loopback pinentry")
        // The agent must not remember the passphrase between operations.
        _ = gpgme_set_ctx_flag(ctx, "no-symkey-cache", "1")
        let box = PassphraseBox(passphrase)
        gpgme_set_passphrase_cb(ctx, passphraseCallback, Unmanaged.passUnretained(box).toOpaque())
        return try withExtendedLifetime(box) { try body(ctx) }
    }

    private func check(_ err: gpgme_error_t, _ what: String) throws {
        if err != 0 { throw GPGError.failed("\(what): \(String(cString: gpgme_strerror(err)))") }
    }
}

/// Holds the passphrase for the C callback. A second request within one
/// operation means gpg rejected the first answer: cancel instead of looping.
private final class PassphraseBox {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let passphraseCallback: gpgme_passphrase_cb_t = { hook, _, _, prevWasBad, fd in
    guard let hook else { return bam_gpgme_error(UInt32(GPG_ERR_CANCELED.rawValue)) }
    if prevWasBad != 0 { return bam_gpgme_error(UInt32(GPG_ERR_CANCELED.rawValue)) }
    let box = Unmanaged<PassphraseBox>.fromOpaque(hook).takeUnretainedValue()
    var line = box.bytes
    line.append(0x0a)
    let written = line.withUnsafeBytes { gpgme_io_writen(fd, $0.baseAddress, $0.count) }
    for i in line.indices { line[i] = 0 }
    return written == 0 ? 0 : bam_gpgme_error(UInt32(GPG_ERR_CANCELED.rawValue))
}

/// A gpgme data object backed by a Swift reader (gpgme pulls the input
/// from it) or writer (gpgme pushes the output to it). Keeps the first
/// error either throws, which C cannot carry, and owns the callback table
/// gpgme keeps a pointer to, so the table lives as long as the data object.
private final class CallbackData {
    private let reader: ((UnsafeMutableRawBufferPointer) throws -> Int)?
    private let writer: ((UnsafeRawBufferPointer) throws -> Void)?
    private(set) var failure: Error?
    let callbacks = UnsafeMutablePointer<gpgme_data_cbs>.allocate(capacity: 1)

    init(reader: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.reader = reader
        writer = nil
        callbacks.initialize(to: Self.table)
    }

    init(writer: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        reader = nil
        self.writer = writer
        callbacks.initialize(to: Self.table)
    }

    deinit { callbacks.deallocate() }

    /// Runs one callback: its byte count, or -1 with errno set for gpgme.
    private func run(_ body: () throws -> Int) -> Int {
        if failure != nil { errno = EIO; return -1 }
        do {
            return try body()
        } catch {
            failure = error
            errno = EIO
            return -1
        }
    }

    private static var table: gpgme_data_cbs {
        var cbs = gpgme_data_cbs()
        cbs.read = { handle, buffer, size in
            guard let handle, let buffer else { return -1 }
            let data = Unmanaged<CallbackData>.fromOpaque(handle).takeUnretainedValue()
            guard let reader = data.reader else { errno = EBADF; return -1 }
            return data.run { try reader(UnsafeMutableRawBufferPointer(start: buffer, count: size)) }
        }
        cbs.write = { handle, buffer, size in
            guard let handle, let buffer else { return -1 }
            let data = Unmanaged<CallbackData>.fromOpaque(handle).takeUnretainedValue()
            guard let writer = data.writer else { errno = EBADF; return -1 }
            return data.run {
                try writer(UnsafeRawBufferPointer(start: buffer, count: size)); return size
            }
        }
        return cbs
    }
}

/// Feeds a byte array to a consumer through a pipe written by a thread, so
/// gpgme can read it as a file descriptor.
enum Pipe {
    static func feeding(_ bytes: [UInt8], _ body: (Int32) throws -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw GPGError.failed("pipe: \(String(cString: strerror(errno)))") }
        let readFD = fds[0], writeFD = fds[1]
        let writer = Thread {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(writeFD, raw.baseAddress! + done, raw.count - done)
                    if n < 0 { if errno == EINTR { continue }; break }
                    done += n
                }
            }
            close(writeFD)
        }
        writer.start()
        defer { close(readFD) }
        try body(readFD)
    }
}
