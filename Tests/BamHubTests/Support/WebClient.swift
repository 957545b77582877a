import Foundation
import HTTP

/// A browser's cookie jar over the engine's HTTP client, for the web page
/// tests: no redirects followed, so each step's status is checked.
final class WebClient {
    let base: String
    var cookies: [String: String] = [:]
    var lastSetCookies: [String] = []

    init(base: String) { self.base = base }

    @discardableResult
    func get(_ path: String) throws -> HTTPResponse { try send("GET", path, form: nil) }

    @discardableResult
    func post(_ path: String, _ form: [String: String]) throws -> HTTPResponse { try send("POST", path, form: form) }

    private func send(_ method: String, _ path: String, form: [String: String]?) throws -> HTTPResponse {
        var headers: [(name: String, value: String)] = []
        if !cookies.isEmpty {
            headers.append((name: "Cookie", value: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        var body = HTTPBody.none
        if let form {
            headers.append((name: "Content-Type", value: "application/x-www-form-urlencoded"))
            body = .bytes(Array(form.map { "\(HubTestServer.escape($0.key))=\(HubTestServer.escape($0.value))" }.joined(separator: "&").utf8))
        }
        let r = try HTTPSession().perform(HTTPRequest(method: method, url: base + path, headers: headers, body: body))
        lastSetCookies = r.headers.filter { $0.name.lowercased() == "set-cookie" }.map { $0.value }
        for line in lastSetCookies {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return r
    }

    /// The value of `<input ... name="NAME" value="...">` in a page.
    static func hiddenField(_ name: String, in html: String) -> String? {
        guard let at = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[at.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
