import Foundation
internal import CGpgme
#if canImport(Glibc)
import Glibc
#endif

/// A private GnuPG home for one run: its own gpg.conf (cipher, compression,
/// S2K settings are not API settings in gpgme) and its own agent, killed on
/// `close()`. The user's ~/.gnupg is never touched.
public final class GPGHome {
    public let path: String
    private var closed = false

    /// `s2kCount` is small on purpose: the passphrase is a 162-bit random
    /// secret, so key stretching buys no safety and would cost ~0.1 s per
    /// volume.
    public init(parent: String, s2kCount: Int = 65536) throws {
        GPGLibrary.initialise()
        var template = Array((parent.hasSuffix("/") ? parent : parent + "/").utf8) + Array("bam-gnupg-XXXXXX".utf8) + [0]
        let ok = template.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { mkdtemp($0) != nil }
        }
        guard ok else { throw GPGError.failed("cannot create a GnuPG home in \(parent): \(String(cString: strerror(errno)))") }
        path = String(decoding: template.dropLast(), as: UTF8.self)
        // No compression settings: gpg never compresses here (see
        // SymmetricCipher).
        let conf = """
            cipher-algo AES256
            s2k-cipher-algo AES256
            s2k-digest-algo SHA256
            s2k-count \(s2kCount)
            force-mdc
            no-random-seed-file

            """
        let agentConf = "allow-loopback-pinentry\n"
        guard FileManager.default.createFile(atPath: path + "/gpg.conf", contents: Data(conf.utf8), attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(atPath: path + "/gpg-agent.conf", contents: Data(agentConf.utf8), attributes: [.posixPermissions: 0o600])
        else { throw GPGError.failed("cannot write gpg.conf in \(path)") }
    }

    /// Stops this home's agent and removes the directory.
    public func close() {
        if closed { return }
        closed = true
        let kill = Process()
        kill.executableURL = URL(fileURLWithPath: "/usr/bin/gpgconf")
        kill.arguments = ["--homedir", path, "--kill", "gpg-agent"]
        kill.standardOutput = FileHandle.nullDevice
        kill.standardError = FileHandle.nullDevice
        // Not waitUntilExit(): on Linux it polls in 50 ms steps, which
        // every backup and restore would pay here.
        let exited = DispatchSemaphore(value: 0)
        kill.terminationHandler = { _ in exited.signal() }
        if (try? kill.run()) != nil { exited.wait() }
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { close() }
}

/// gpgme's one-time global initialisation, done before any thread uses it.
enum GPGLibrary {
    private static let once: Void = {
        // A reader that stops early (gpg failing mid-stream) must give EPIPE,
        // not kill the process.
        signal(SIGPIPE, SIG_IGN)
        _ = gpgme_check_version(nil)
        _ = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)
    }()

    static func initialise() { _ = once }
}
