import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes actions to Webmin's log (`$WEBMIN_VAR/webmin.log`) in the line
/// format of WebminCore's webmin_log, so Webmin's "Webmin Actions Log"
/// module lists them (log_parser.pl describes them). Like webmin_log it
/// writes only when the global config has `log=1`.
public struct ActionLog {
    public let context: WebminContext

    public init(context: WebminContext) { self.context = context }

    public var path: String { context.varDirectory + "/webmin.log" }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `action` and `type`/`object` as log_parser.pl expects; `parameters`
    /// must hold no secret (callers pass only validated, non-secret values).
    public func record(_ request: CGIRequest, action: String, type: String = "-", object: String = "-", parameters: [(String, String)] = []) {
        let config = context.globalConfig
        guard config["log"] == "1" else { return }
        if let users = config["logusers"], !users.isEmpty,
            !users.split(separator: " ").contains(Substring(request.user ?? ""))
        {
            return
        }
        var now = time(nil)
        var tm = Glibc.tm()
        localtime_r(&now, &tm)
        let id = "\(now).\(getpid()).0"
        let date = String(format: "%02d/%@/%04d %02d:%02d:%02d", tm.tm_mday, Self.months[Int(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)
        let host = request.environment["REMOTE_HOST"] ?? request.environment["REMOTE_ADDR"] ?? "-"
        func word(_ s: String) -> String {
            let w = s.filter { !$0.isWhitespace && $0 != "\"" }
            return w.isEmpty ? "-" : w
        }
        var line =
            "\(id) [\(date)] \(word(request.user ?? "-")) \(word(request.sessionID ?? "-")) \(word(host)) \(word(context.moduleID)) \(word(request.scriptName)) \"\(word(action))\" \"\(word(type))\" \"\(word(object))\""
        for (k, v) in parameters.sorted(by: { $0.0 < $1.0 }) {
            line += " \(word(k))='\(Self.escapeValue(v))'"
        }
        line += "\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, bytes.count) }
    }

    /// webmin_log's escaping of parameter values: quotes, backslash, CR,
    /// LF, tab and % as %XX.
    static func escapeValue(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            if "'\"\\\r\n\t%".unicodeScalars.contains(scalar) {
                out += String(format: "%%%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
