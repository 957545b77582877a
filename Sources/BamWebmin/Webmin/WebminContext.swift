import Foundation
import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Where this Webmin keeps things, from the environment miniserv gives a
/// CGI: WEBMIN_CONFIG (config, webmin.acl, <module>/config, <module>/<user>.acl),
/// WEBMIN_VAR (webmin.log, our state), and the module directory (the CGI's
/// own directory, whose name is the module id).
public struct WebminContext {
    public let configDirectory: String
    public let varDirectory: String
    public let moduleDirectory: String
    public var moduleID: String { String(moduleDirectory.split(separator: "/").last ?? "bam") }

    public init(environment: [String: String], moduleDirectory: String) throws {
        guard let config = environment["WEBMIN_CONFIG"], config.hasPrefix("/") else {
            throw CGIError.forbidden("WEBMIN_CONFIG is not set: this program only runs under Webmin")
        }
        guard let variable = environment["WEBMIN_VAR"], variable.hasPrefix("/") else {
            throw CGIError.forbidden("WEBMIN_VAR is not set: this program only runs under Webmin")
        }
        configDirectory = config
        varDirectory = variable
        self.moduleDirectory = moduleDirectory
    }

    /// The directory of the running CGI: SCRIPT_FILENAME's, else the
    /// working directory (miniserv starts a CGI in its module directory).
    public static func moduleDirectory(environment: [String: String]) -> String {
        if let file = environment["SCRIPT_FILENAME"], file.hasPrefix("/"), let slash = file.lastIndex(of: "/") {
            let dir = String(file[..<slash])
            if !dir.isEmpty { return dir }
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if getcwd(&buffer, buffer.count) != nil {
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "."
    }

    /// Webmin's global config (`referers`, `referers_none`, `log`...).
    public var globalConfig: [String: String] { KeyValueFile.load(configDirectory + "/config") }

    /// This module's config: the installed `$WEBMIN_CONFIG/<id>/config`,
    /// else the defaults shipped in the module directory.
    public var moduleConfig: [String: String] {
        let installed = configDirectory + "/" + moduleID + "/config"
        if Posix.fileExists(installed) { return KeyValueFile.load(installed) }
        return KeyValueFile.load(moduleDirectory + "/config")
    }

    /// The module's own state directory (CSRF secret, uploads), 0700.
    public var stateDirectory: String { varDirectory + "/" + moduleID }

    public func ensureStateDirectory() throws -> String {
        try Posix.makeDirectories(stateDirectory, mode: 0o700)
        _ = chmod(stateDirectory, 0o700)
        return stateDirectory
    }
}
