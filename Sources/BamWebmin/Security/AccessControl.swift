import Foundation
import BamEngine

/// Webmin's own checks, which miniserv leaves to each CGI (WebminCore's
/// init_config does them for Perl): the user may use this module
/// (webmin.acl), with which rights (the module ACL), and the request came
/// from a page of this Webmin (the Referer rule).
public struct AccessControl {
    public let context: WebminContext

    public init(context: WebminContext) { self.context = context }

    /// `user: mod1 mod2` lines of webmin.acl; `*` grants every module.
    public func userMayUseModule(_ user: String) -> Bool {
        guard let bytes = try? readText(context.configDirectory + "/webmin.acl") else { return false }
        for line in bytes.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].trimmingCharacters(in: .whitespaces) == user else { continue }
            let modules = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            return modules.contains { $0 == Substring(context.moduleID) || $0 == "*" }
        }
        return false
    }

    /// The module ACL: `defaultacl` in the module directory, overlaid by
    /// `$WEBMIN_CONFIG/<module>/<user>.acl` when Webmin's Users module saved one.
    public func moduleACL(for user: String) -> ModuleACL {
        var values = KeyValueFile.load(context.moduleDirectory + "/defaultacl")
        if WebminInput.isSafeName(user) {
            for (k, v) in KeyValueFile.load(context.configDirectory + "/" + context.moduleID + "/" + user + ".acl") { values[k] = v }
        }
        return ModuleACL(values: values)
    }

    /// Webmin's Referer rule: trusted when the Referer's host and port are
    /// this server's (HTTP_HOST), or its host is in the `referers` setting;
    /// no Referer is refused unless `referers_none=0`. The module index is
    /// always trusted (it only shows state).
    public func refererProblem(_ request: CGIRequest) -> String? {
        if request.scriptName == "index.cgi" && !request.isSubmission { return nil }
        let config = context.globalConfig
        guard let referer = request.environment["HTTP_REFERER"], !referer.isEmpty else {
            if config["referers_none"] == "0" { return nil }
            return "the request carries no Referer, so it cannot be told apart from a link on another site"
        }
        guard let refererHost = HostPort(url: referer) else { return "the Referer \(referer) is not a URL" }
        let scheme = (request.environment["HTTPS"] ?? "").lowercased() == "on" ? "https" : "http"
        if let host = request.environment["HTTP_HOST"],
            let own = HostPort(hostHeader: host, scheme: scheme, serverPort: request.environment["SERVER_PORT"]),
            own == refererHost
        {
            return nil
        }
        let trusted = (config["referers"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map { $0.lowercased() }
        if trusted.contains(refererHost.host) { return nil }
        return "the request came from \(refererHost.host):\(refererHost.port), not from this Webmin server"
    }

    private func readText(_ path: String) throws -> String {
        String(decoding: try Posix.readFile(path), as: UTF8.self)
    }
}

/// The module's rights for one user (acl_security.pl edits them).
public struct ModuleACL {
    public let values: [String: String]
    private func allows(_ key: String) -> Bool { values[key] == "1" }
    public var backup: Bool { allows("backup") }
    public var restore: Bool { allows("restore") }
    public var configure: Bool { allows("configure") }
    public var escrow: Bool { allows("escrow") }
}

struct HostPort: Equatable {
    let host: String
    let port: Int

    init?(url: String) {
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") { scheme = "https" } else if lower.hasPrefix("http://") { scheme = "http" } else { return nil }
        let rest = url.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // user:pass@host — only the host counts.
        let hostPart = authority.split(separator: "@").last.map(String.init) ?? ""
        self.init(hostHeader: hostPart, scheme: scheme, serverPort: nil)
    }

    init?(hostHeader: String, scheme: String, serverPort: String?) {
        let text = hostHeader.lowercased()
        guard !text.isEmpty else { return nil }
        var host = text
        var port: Int? = nil
        if text.hasPrefix("[") {  // IPv6 literal
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[...close])
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard let p = Int(text[text.index(after: colon)...]) else { return nil }
            port = p
        }
        self.host = host
        self.port = port ?? serverPort.flatMap { Int($0) } ?? (scheme == "https" ? 443 : 80)
    }
}
