import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes the CGI answer straight to fd 1, unbuffered, so every write
/// reaches miniserv (and the browser) at once: long runs stream.
public final class CGIOutput {
    private let fd: Int32
    private var sentHeaders = false
    public private(set) var captured: [UInt8] = []
    private let capture: Bool

    public init(fd: Int32 = 1, capture: Bool = false) {
        self.fd = fd
        self.capture = capture
    }

    public var headersSent: Bool { sentHeaders }

    /// Header lines (`Name: value`), then the blank line. miniserv ignores
    /// `Status:` for compiled CGIs, so errors are told in the page itself.
    public func sendHeaders(_ headers: [(String, String)]) {
        guard !sentHeaders else { return }
        sentHeaders = true
        var text = ""
        for (name, value) in headers {
            // Header values come from the program; never let one break a line.
            let clean = value.filter { $0 != "\r" && $0 != "\n" }
            text += "\(name): \(clean)\r\n"
        }
        text += "\r\n"
        write(text)
    }

    public func sendHTMLHeaders(pjaxURL: String?) {
        // SAMEORIGIN: gray theme's frames are this server's; no other site
        // may frame a page that carries a form token (clickjacking).
        var headers = [("Content-type", "text/html; Charset=UTF-8"), ("Cache-Control", "no-store"),
                       ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN")]
        if let pjaxURL { headers.append(("X-PJAX-URL", pjaxURL)) }
        sendHeaders(headers)
    }

    public func redirect(_ location: String) {
        sendHeaders([("Location", location)])
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    public func write(_ bytes: [UInt8]) {
        if capture { captured += bytes }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }  // the browser went away; nothing to tell it
            offset += n
        }
    }
}
