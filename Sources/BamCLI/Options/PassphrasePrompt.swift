import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks for passphrases: on the controlling terminal (`/dev/tty`) with echo
/// off, or, with `--noninteractive`, as one line from standard input.
/// Passphrases are never taken from argv or the environment, where other
/// users of the machine (ps, /proc) could read them.
enum PassphrasePrompt {
    /// Reads one passphrase (for unlocking), without confirmation.
    static func read(prompt: String, noninteractive: Bool) throws -> String {
        if noninteractive { return try readStandardInputLine(what: "passphrase") }
        let terminal = try Terminal.open()
        defer { terminal.close() }
        return try terminal.readHidden(prompt: prompt)
    }

    /// Runs `attempt` with a passphrase until it stops throwing
    /// `BamError.wrongPassphrase`: up to `tries` times on a terminal, once
    /// with `--noninteractive` (a script would only repeat the same line).
    static func unlock<T>(prompt: String = "Passphrase: ", noninteractive: Bool, tries: Int = 3, _ attempt: (String) throws -> T) throws -> T {
        if noninteractive { return try attempt(try readStandardInputLine(what: "passphrase")) }
        let terminal = try Terminal.open()
        defer { terminal.close() }
        var remaining = tries
        while true {
            let passphrase = try terminal.readHidden(prompt: prompt)
            do {
                return try attempt(passphrase)
            } catch let error as BamError {
                guard case .wrongPassphrase = error else { throw error }
                remaining -= 1
                if remaining == 0 { throw error }
                terminal.write("\(error); try again.\n")
            }
        }
    }

    /// A new passphrase: typed twice on a terminal (three chances to make
    /// both match), or one line from standard input. May be empty; callers
    /// decide what an empty one means.
    static func choose(noninteractive: Bool, prompt: String = "New passphrase: ") throws -> String {
        if noninteractive { return try readStandardInputLine(what: "new passphrase") }
        let terminal = try Terminal.open()
        defer { terminal.close() }
        for _ in 0..<3 {
            let first = try terminal.readHidden(prompt: prompt)
            let second = try terminal.readHidden(prompt: "Again: ")
            if first == second { return first }
            terminal.write("The passphrases differ; try again.\n")
        }
        throw BamError.invalid("the passphrases typed did not match; nothing was changed")
    }

    /// Asks a yes/no question on the terminal; only "y" or "yes" agree.
    static func confirm(_ question: String) throws -> Bool {
        let terminal = try Terminal.open()
        defer { terminal.close() }
        let answer = try terminal.readLine(prompt: question).trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }

    /// One line from standard input, read a byte at a time so nothing after
    /// the newline is consumed (a later read may need it). End of input
    /// before any byte is an error, an empty line an empty passphrase.
    static func readStandardInputLine(what: String) throws -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var sawAnything = false
        while true {
            let n = Glibc.read(0, &byte, 1)
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: "standard input", operation: "read", errno: errno)
            }
            if n == 0 { break }
            sawAnything = true
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        guard sawAnything else {
            throw BamError.invalid("--noninteractive expects the \(what) as one line on standard input, which is empty")
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard let line = String(validating: bytes, as: UTF8.self) else {
            throw BamError.invalid("the \(what) on standard input is not UTF-8 text")
        }
        return line
    }
}

/// The controlling terminal, opened for one question at a time.
private struct Terminal {
    let fd: Int32

    static func open() throws -> Terminal {
        let fd = Glibc.open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            throw BamError.invalid("no terminal to ask for a passphrase on: use --noninteractive and give it as one line on standard input")
        }
        return Terminal(fd: fd)
    }

    func close() { _ = Glibc.close(fd) }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = try? Posix.writeAll(fd, bytes, path: "/dev/tty")
    }

    /// Reads a line with echo off; echo comes back even on Ctrl-C.
    func readHidden(prompt: String) throws -> String {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return try readLine(prompt: prompt) }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        EchoRestorer.arm(fd: fd, saved: saved)
        tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            EchoRestorer.disarm()
            write("\n")  // the user's Enter was not echoed
        }
        return try readLine(prompt: prompt)
    }

    func readLine(prompt: String) throws -> String {
        write(prompt)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = Glibc.read(fd, &byte, 1)
            if n < 0 {
                if errno == EINTR { continue }
                throw BamError.io(path: "/dev/tty", operation: "read", errno: errno)
            }
            if n == 0 {
                if bytes.isEmpty { throw BamError.invalid("no answer on the terminal (end of input)") }
                break
            }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Puts terminal echo back if the user interrupts while it is off, then
/// dies of the signal as usual. Global state because a signal handler is a
/// C function and captures nothing.
private enum EchoRestorer {
    static var fd: Int32 = -1
    static var saved = termios()
    static var armed = false

    static func arm(fd: Int32, saved: termios) {
        self.fd = fd
        self.saved = saved
        armed = true
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(sig, restoreAndReraise) }
    }

    static func disarm() {
        armed = false
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(sig, SIG_DFL) }
    }
}

private func restoreAndReraise(_ sig: Int32) {
    if EchoRestorer.armed { tcsetattr(EchoRestorer.fd, TCSAFLUSH, &EchoRestorer.saved) }
    signal(sig, SIG_DFL)
    raise(sig)
}
