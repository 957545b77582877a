import BamEngine
import Foundation
import Mustache
import TemplateValues

/// The module's Mustache templates (`templates/*.mustache` in the module
/// directory). Every page is `header` + its own template + `footer`, like
/// Webmin's ui_print_header/ui_print_footer; `{{ }}` HTML-escapes, after
/// `TemplateValues` has made every string safe for its escaping.
public struct PageRenderer {
    let library: MustacheLibrary

    public init(templateDirectory: String) throws {
        var library = MustacheLibrary()
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: templateDirectory) } catch {
            throw CGIError.forbidden("the module's templates are missing (\(templateDirectory)): reinstall the module")
        }
        for name in names.sorted() where name.hasSuffix(".mustache") {
            let text = String(decoding: try Posix.readFile(templateDirectory + "/" + name), as: UTF8.self)
            do { try library.register(text, named: String(name.dropLast(".mustache".count))) } catch {
                throw CGIError.forbidden("template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    public func render(_ template: String, _ context: [String: Any]) -> String {
        guard let text = library.render(TemplateValues.displayable(context), withTemplate: template) else {
            return "<div class=\"alert alert-danger\">missing template \(HTML.escape(template))</div>"
        }
        return text
    }

    public func has(_ template: String) -> Bool { library.getTemplate(named: template) != nil }
}
