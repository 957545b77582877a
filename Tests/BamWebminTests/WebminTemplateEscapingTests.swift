import BamWebmin
import Foundation
import Testing

/// Every string a page shows goes through Mustache's `{{ }}` escaping, and
/// reaches it in a form that escaping handles: no template opts out with
/// `{{{ }}}` or `{{& }}`, a quote fused with a combining mark cannot end an
/// attribute, control bytes show as `\xNN`.
@Suite("Webmin and Hub template escaping")
struct WebminTemplateEscapingTests {
    static func bytes(_ text: String, contain needle: String) -> Bool {
        Array(text.utf8).firstRange(of: Array(needle.utf8)) != nil
    }

    @Test("no template of the Webmin module or the Hub renders a value unescaped")
    func noUnescapedTags() throws {
        for directory in ["templates/webmin", "templates/hub"] {
            let path = WebminSandbox.packageDirectory + "/" + directory
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".mustache") }
            #expect(!names.isEmpty, "\(path)")
            for name in names {
                let text = try String(contentsOfFile: path + "/" + name, encoding: .utf8)
                let compact = text.replacingOccurrences(of: " ", with: "")
                #expect(!compact.contains("{{{") && !compact.contains("{{&") && !compact.contains("{{%"), "\(directory)/\(name) renders a value unescaped")
            }
        }
    }

    @Test("a quote fused with a combining mark stays inside its attribute; control bytes show as \\xNN")
    func fusedQuoteInAttribute() throws {
        let renderer = try PageRenderer(templateDirectory: WebminSandbox.packageDirectory + "/templates/webmin")
        let hostile = "x\"\u{301} autofocus onfocus=alert(1) y=\"\u{1B}[2J\u{7F}'\u{0600}<"
        let html = renderer.render("options", ["fields": [["key": "volsize", "label": "Volume size", "value": hostile, "hint": "MB"]]])
        // (Outside #expect: its macro mangles a literal with a fused quote.)
        let fusedQuote = "\"\u{301}"
        let shown = "value=\"x\u{FFFD}\u{301} autofocus onfocus=alert(1) y=&quot;\\x1B[2J\\x7F&#39;\u{0600}\u{FFFD}\""
        #expect(!Self.bytes(html, contain: fusedQuote), "an unescaped quote reached the page:\n\(html)")
        #expect(Self.bytes(html, contain: shown), "\(html)")
    }
}
