import Foundation
import Testing
@testable import BamWebmin
#if canImport(Glibc)
import Glibc
#endif

/// Request data that reaches a CGI header (the PJAX URL is the request URI)
/// never starts a header line of its own, whether it carries CR LF, a lone
/// LF or CR, or other control bytes; redirects stay on this Webmin.
@Suite("Webmin CGI headers", .serialized)
struct WebminHeaderInjectionTests {
    /// What the pages may send; anything else in the block was injected.
    static let knownHeaders: Set<String> = ["content-type", "cache-control", "x-content-type-options", "x-frame-options", "x-pjax-url", "location"]

    /// The header lines as miniserv reads them: it splits on LF alone.
    static func headerLines(_ block: String) -> [String] {
        String(decoding: block.utf8, as: UTF8.self).unicodeScalars.split(separator: "\n").map { line in
            var text = String(String.UnicodeScalarView(line))
            if text.unicodeScalars.last == "\r" { text.unicodeScalars.removeLast() }
            return text
        }
    }

    static func expectClean(_ r: WebminSandbox.Response, _ label: String) {
        let lines = headerLines(r.headerBlock)
        #expect(!lines.isEmpty, "\(label): no headers")
        for line in lines {
            let name = line.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
            #expect(Self.knownHeaders.contains(name), "\(label): injected header line '\(line)' in:\n\(r.headerBlock)")
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(label): control byte in '\(line)'")
        }
    }

    @Test("CR LF, LF, CR and control bytes in REQUEST_URI, QUERY_STRING and PATH_INFO do not make header lines")
    func requestDataInHeaders() throws {
        let (s, _) = try WebminSecurityTests.sandbox("headers")
        let encoded = "x=%0d%0aSet-Cookie:%20encoded=1%0aX-Injected:%20encoded"
        let raw = "/bam/index.cgi?\(encoded)\r\nSet-Cookie: crlf=1\nX-Injected: lf\rX-Injected-CR: cr\u{1B}[31m\u{7F}\u{0B}\u{0C}end"
        let cases: [(String, [String: String], String)] = [
            ("raw CR/LF in REQUEST_URI", ["REQUEST_URI": raw], encoded),
            ("raw CR/LF in PATH_INFO too", ["REQUEST_URI": raw, "PATH_INFO": "/a\r\nSet-Cookie: path=1\n"], encoded),
            ("percent-encoded only", ["REQUEST_URI": "/bam/index.cgi?" + encoded], encoded),
            ("raw CR/LF in QUERY_STRING", ["REQUEST_URI": raw], "x=1\r\nSet-Cookie: query=1\nX-Injected: q"),
        ]
        for (label, extra, query) in cases {
            var env = extra
            env["HTTP_X_REQUESTED_WITH"] = "XMLHttpRequest"  // the pages echo the URI in X-PJAX-URL then
            let r = try s.cgi("index.cgi", query: query, extra: env)
            Self.expectClean(r, label)
            #expect(r.headers["x-pjax-url"] != nil, "\(label): the PJAX header is gone:\n\(r.headerBlock)")
            #expect(r.headerBlock.contains("X-PJAX-URL: /bam/index.cgi?"), "\(label):\n\(r.headerBlock)")
        }
    }

    @Test("header lines: control bytes dropped from values, names that are not tokens dropped, redirects stay local")
    func headerLineAndRedirect() throws {
        #expect(CGIOutput.headerLine(name: "X-A", value: "a\r\nB: c\nD\re\u{0}\u{7F}\tf") == "X-A: aB: cDef")
        #expect(CGIOutput.headerLine(name: "X-A\r\nSet-Cookie", value: "v") == nil)
        #expect(CGIOutput.headerLine(name: "X A", value: "v") == nil)
        #expect(CGIOutput.headerLine(name: "", value: "v") == nil)

        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        for (location, sent) in [
            ("/bam/index.cgi", "/bam/index.cgi"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
            ("https://evil.example/", "/"), ("/x\r\nSet-Cookie: a=1", "/xSet-Cookie: a=1"),
        ] {
            let output = CGIOutput(fd: devNull, capture: true)
            output.redirect(location)
            #expect(String(decoding: output.captured, as: UTF8.self) == "Location: \(sent)\r\n\r\n", "\(location)")
        }
    }
}
