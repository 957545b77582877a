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
            if let line = Self.headerLine(name: name, value: value) { text += line + "\r\n" }
        }
        text += "\r\n"
        write(text)
    }

    /// `Name: value`, the one way a header line is made. Values may carry
    /// request data (the PJAX URL is the request URI): control bytes are
    /// dropped from them, so no CR or LF can end the line and start a header
    /// of the request's choosing (miniserv splits on LF alone too). Looked
    /// at scalar by scalar: to Swift's `Character`, CR LF is one character
    /// that equals neither "\r" nor "\n". A name that is not an HTTP token
    /// drops the whole header.
    static func headerLine(name: String, value: String) -> String? {
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenCharacter) else { return nil }
        var clean = String.UnicodeScalarView()
        clean.append(contentsOf: value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        return "\(name): \(String(clean))"
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
        }
    }

    public func sendHTMLHeaders(pjaxURL: String?) {
        // SAMEORIGIN: gray theme's frames are this server's; no other site
        // may frame a page that carries a form token (clickjacking).
        var headers = [
            ("Content-type", "text/html; Charset=UTF-8"), ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
        ]
        if let pjaxURL { headers.append(("X-PJAX-URL", pjaxURL)) }
        sendHeaders(headers)
    }

    /// Redirects within this Webmin only: a location that is not a local
    /// path (`//host`, `/\\host`, a scheme) goes to Webmin's root instead.
    public func redirect(_ location: String) {
        let local = location.hasPrefix("/") && !location.hasPrefix("//") && !location.hasPrefix("/\\")
        sendHeaders([("Location", local ? location : "/")])
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
