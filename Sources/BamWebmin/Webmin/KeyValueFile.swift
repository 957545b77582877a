import Foundation
import BamEngine

/// Webmin's `name=value` files (config, module config, ACL files,
/// module.info). A missing file reads as empty.
public enum KeyValueFile {
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            values[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
        }
        return values
    }

    public static func load(_ path: String) -> [String: String] {
        guard Posix.fileExists(path), let bytes = try? Posix.readFile(path) else { return [:] }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    public static func render(_ values: [(String, String)]) -> String {
        values.map { "\($0.0)=\($0.1)\n" }.joined()
    }
}
