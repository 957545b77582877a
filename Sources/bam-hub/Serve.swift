import ArgumentParser
import BamHub
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Hub's API and web pages.")

    @Option(
        help: ArgumentHelp("Address and port to listen on (port 0 picks a free one). Default: $BAM_HUB_LISTEN, else 127.0.0.1:8080.", valueName: "HOST:PORT"))
    var listen: String?

    @OptionGroup var database: DatabaseOptions

    @Option(
        help: ArgumentHelp(
            "Directory of the web page templates (default: $BAM_HUB_TEMPLATES, /usr/share/bam-hub/templates, ./templates/hub).", valueName: "DIR"))
    var templates: String?

    @Option(
        help: ArgumentHelp(
            "Tor GeoIP IPv4 ranges file; it must be readable. Default: /usr/share/tor/geoip (package tor-geoipdb); without it every client gets the default region, with a warning at start.",
            valueName: "PATH"))
    var geoip: String?

    @Option(help: ArgumentHelp("Tor GeoIP IPv6 ranges file.", valueName: "PATH"))
    var geoip6: String = GeoIPDatabase.defaultIPv6Path

    @Option(help: ArgumentHelp("Header a trusted reverse proxy puts the client's address in (e.g. X-Forwarded-For).", valueName: "NAME"))
    var trustProxyHeader: String?

    @Option(help: ArgumentHelp("Address of a reverse proxy whose --trust-proxy-header is believed (repeatable).", valueName: "ADDRESS"))
    var trustedProxy: [String] = []

    @Flag(help: "Mark cookies Secure (when a proxy serves the Hub over HTTPS).")
    var secureCookies = false

    @Option(help: ArgumentHelp("Seconds a new connection has to send a complete request head (0: no limit).", valueName: "SECONDS"))
    var headerTimeout: Int = ConnectionLimits.defaultHeaderTimeout

    @Option(help: ArgumentHelp("Seconds a connection may stay idle between requests, or stall within one (0: no limit).", valueName: "SECONDS"))
    var idleTimeout: Int = ConnectionLimits.defaultIdleTimeout

    @Option(
        help: ArgumentHelp(
            "Open connections allowed from one TCP peer address; more are closed at once (0: no limit). Behind a reverse proxy every connection comes from the proxy: raise it or set 0 there.",
            valueName: "N"))
    var maxConnectionsPerAddress: Int = ConnectionLimits.defaultPerAddress

    @Option(
        help: ArgumentHelp(
            "Open connections in all; more wait in the listen queue until one closes. Never more than the open-file limit allows (0: that limit only).",
            valueName: "N"))
    var maxConnections: Int = ConnectionLimits.defaultTotal

    func run() async throws {
        let listenValue = listen ?? ProcessInfo.processInfo.environment["BAM_HUB_LISTEN"] ?? "127.0.0.1:8080"
        guard let colon = listenValue.lastIndex(of: ":"), let port = Int(listenValue[listenValue.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--listen \(listenValue): expected HOST:PORT")
        }
        var host = String(listenValue[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let databaseValue = database.value else { throw ValidationError("--database is required (or set BAM_HUB_DATABASE)") }
        for (name, value) in [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout)] where !(0...86_400).contains(value) {
            throw ValidationError("\(name) \(value): expected 0 to 86400 seconds")
        }
        for (name, value) in [("--max-connections-per-address", maxConnectionsPerAddress), ("--max-connections", maxConnections)]
        where !(0...1_000_000).contains(value) {
            throw ValidationError("\(name) \(value): expected 0 to 1000000")
        }
        if trustProxyHeader != nil && trustedProxy.isEmpty {
            throw ValidationError("--trust-proxy-header needs at least one --trusted-proxy ADDRESS")
        }
        let config = HubServerConfiguration(
            host: host, port: port, database: databaseValue, templates: TemplateDirectory.resolve(explicit: templates),
            geoipIPv4: geoip, geoipIPv6: geoip6,
            clients: ClientAddressPolicy(header: trustProxyHeader, trustedProxies: Set(trustedProxy)),
            secureCookies: secureCookies,
            connections: ConnectionLimits(
                headerTimeout: headerTimeout, idleTimeout: idleTimeout,
                perAddress: maxConnectionsPerAddress, total: maxConnections))
        do {
            try await HubServer.run(
                config,
                onWarning: { message in
                    FileHandle.standardError.write(Data("bam-hub: warning: \(message)\n".utf8))
                }
            ) { host, port in
                print("bam-hub listening on \(host):\(port)")
                fflush(stdout)
            }
        } catch let error as HubStoreError {
            FileHandle.standardError.write(Data("bam-hub: \(error)\n".utf8))
            throw ExitCode(64)
        } catch let error as SQLError {
            FileHandle.standardError.write(Data("bam-hub: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
