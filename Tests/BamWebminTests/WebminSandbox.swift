import Foundation
import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway Webmin around the built module: WEBMIN_CONFIG (config with
/// the Referer rule and logging on, webmin.acl, the module's config),
/// WEBMIN_VAR, the module directory assembled by
/// scripts/build-webmin-module.sh, and a system root, conf, registry and
/// cache for bam. `cgi` runs a page as miniserv does: a fresh environment,
/// cwd the module directory, the body on stdin.
final class WebminSandbox {
    let base: String
    var etc: String { base + "/etc" }
    var varDir: String { base + "/var" }
    var moduleDir: String { base + "/webmin/bam" }
    var conf: String { base + "/conf" }
    var registry: String { base + "/registry" }
    var cache: String { base + "/cache" }
    var target: String { base + "/target" }
    let host = "127.0.0.1:10000"
    var referer: String { "http://\(host)/bam/" }
    var root: String

    static var packageDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    init(_ label: String, bamPath: String? = nil) throws {
        let tmp = ProcessInfo.processInfo.environment["BAM_TEST_TMP"] ?? NSTemporaryDirectory()
        base = try Posix.makeTemporaryDirectory(in: tmp, prefix: "bam-webmin-\(label)-")
        root = base + "/sys"
        for d in [etc + "/bam", varDir, base + "/webmin", conf, cache, root] { try Posix.makeDirectories(d, mode: 0o755) }
        let status = try Self.run(Self.packageDirectory + "/scripts/build-webmin-module.sh", [try Self.binary("bam-webmin"), base + "/webmin"])
        guard status.status == 0 else { throw BamError.external("build-webmin-module.sh failed: \(status.output)") }
        try write(etc + "/config", "os_type=debian-linux\nlang=en\nreferers_none=1\nlog=1\n")
        try write(etc + "/webmin.acl", "admin: bam system-status\nother: syslog\nall: *\n")
        try configure(bamPath: bamPath ?? Self.binary("bam"))
    }

    deinit { try? Posix.removeTree(Array(base.utf8)) }

    func configure(bamPath: String, root: String? = nil) throws {
        if let root { self.root = root }
        try write(etc + "/bam/config", "bam_path=\(bamPath)\nroot=\(self.root)\nconf_dir=\(conf)\nregistry=\(registry)\ncache_dir=\(cache)\n")
    }

    func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try Posix.makeDirectories((path as NSString).deletingLastPathComponent, mode: 0o755)
        try Posix.writeFileAtomically(path, Array(text.utf8), mode: mode)
    }

    func read(_ path: String) -> String? {
        (try? Posix.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    struct Response {
        let headers: [String: String]
        /// The header lines exactly as the program wrote them.
        var headerBlock = ""
        let body: String
        var refused: Bool { body.contains("id=\"refused\"") }
        var csrf: String? {
            guard let r = body.range(of: "name=\"csrf\" value=\"") else { return nil }
            return String(body[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    enum Body {
        case none
        case form([(String, String)])
        case multipart([(String, String)], file: (field: String, name: String, bytes: [UInt8])?)
        case raw(String, contentType: String)
    }

    /// Runs `script` as miniserv would. `referer: nil` sends none.
    func cgi(
        _ script: String, method: String = "GET", query: String = "", body: Body = .none, user: String? = "admin",
        referer: String?? = .some(nil), sessionID: String? = "0123456789abcdef", extra: [String: String] = [:]
    ) throws -> Response {
        var env: [String: String] = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "MiniServ/2.660",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "10000", "SERVER_PROTOCOL": "HTTP/1.0", "HTTPS": "",
            "HTTP_HOST": host, "REMOTE_ADDR": "127.0.0.1", "REMOTE_HOST": "127.0.0.1",
            "REQUEST_METHOD": method, "QUERY_STRING": query,
            "SCRIPT_NAME": "/bam/" + script, "SCRIPT_FILENAME": moduleDir + "/" + script,
            "REQUEST_URI": "/bam/" + script + (query.isEmpty ? "" : "?" + query),
            "WEBMIN_CONFIG": etc, "WEBMIN_VAR": varDir, "MINISERV_CONFIG": etc + "/miniserv.conf",
            "SERVER_ROOT": base + "/webmin", "HOME": base, "BAM_TEST_TMP": base,
            "REMOTE_PASS": "webmin-login-password",
        ]
        if let user { env["REMOTE_USER"] = user; env["BASE_REMOTE_USER"] = user }
        if let sessionID { env["SESSION_ID"] = sessionID }
        // Default (.some(nil)): this server's own module page as Referer.
        switch referer {
        case .none: break
        case .some(.none): env["HTTP_REFERER"] = self.referer
        case .some(.some(let r)): env["HTTP_REFERER"] = r
        }
        var input: [UInt8] = []
        switch body {
        case .none: break
        case .form(let fields):
            input = Array(Self.urlencode(fields).utf8)
            env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        case .multipart(let fields, let file):
            let boundary = "----bamtest\(UInt32.random(in: 0...UInt32.max))"
            var data: [UInt8] = []
            for (k, v) in fields {
                data += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
            }
            if let file {
                data += Array(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        .utf8)
                data += file.bytes + Array("\r\n".utf8)
            }
            data += Array("--\(boundary)--\r\n".utf8)
            input = data
            env["CONTENT_TYPE"] = "multipart/form-data; boundary=\(boundary)"
        case .raw(let text, let type):
            input = Array(text.utf8)
            env["CONTENT_TYPE"] = type
        }
        if method == "POST" { env["CONTENT_LENGTH"] = "\(input.count)" }
        for (k, v) in extra { env[k] = v }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: moduleDir + "/" + script)
        process.currentDirectoryURL = URL(fileURLWithPath: moduleDir)
        process.environment = env
        let out = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = inPipe
        try process.run()
        inPipe.fileHandleForWriting.write(Data(input))
        try? inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw BamError.invalid("\(script): no header end in: \(text.prefix(300))") }
        var headers: [String: String] = [:]
        for line in text[..<split.lowerBound].components(separatedBy: "\r\n") {
            guard let colon = line.range(of: ": ") else { throw BamError.invalid("\(script): bad header line '\(line)'") }
            headers[String(line[..<colon.lowerBound]).lowercased()] = String(line[colon.upperBound...])
        }
        return Response(headers: headers, headerBlock: String(text[..<split.lowerBound]), body: String(text[split.upperBound...]))
    }

    /// GETs `page` and returns its form token.
    func token(_ page: String = "passphrase.cgi") throws -> String {
        guard let t = try cgi(page).csrf else { throw BamError.invalid("\(page) shows no form token") }
        return t
    }

    static func urlencode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    /// Checks that `html` is well-formed (XML parser, as strict as it gets);
    /// returns the parser's complaint, or nil.
    static func wellFormedProblem(_ html: String) throws -> String? {
        let check = try run(
            "/usr/bin/python3",
            [
                "-c",
                "import sys, xml.dom.minidom\ntry:\n  xml.dom.minidom.parseString(sys.stdin.buffer.read())\nexcept Exception as e:\n  print(e); sys.exit(1)",
            ], stdin: html)
        return check.status == 0 ? nil : check.output
    }

    struct Run { let status: Int32; let output: String }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: String = "", environment: [String: String]? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), inPipe = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = inPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try? inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs the real bam CLI with this sandbox's registry, conf and cache.
    func bam(_ arguments: [String], stdin: String = "") throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["BAM_REGISTRY"] = registry
        env["BAM_CONF"] = conf
        env["BAM_CACHE"] = cache
        return try Self.run(try Self.binary("bam"), arguments, stdin: stdin, environment: env)
    }

    /// The permission bits of `path` (0 when it cannot be read).
    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    /// A built product beside the test bundle, else .build/debug.
    static func binary(_ name: String) throws -> String {
        var candidates: [String] = []
        for executable in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path)
        }
        candidates.append(packageDirectory + "/.build/debug/" + name)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BamError.missing(what: "\(name) (looked at \(candidates.joined(separator: ", "))); run 'swift build'")
        }
        return found
    }
}
