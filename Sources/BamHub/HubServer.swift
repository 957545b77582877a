import Foundation
import Hummingbird
import HummingbirdCore
import Mustache

/// Everything `bam-hub serve` needs to know.
public struct HubServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: String
    public var templates: String
    /// The GeoIP IPv4 file the administrator named; nil: tor-geoipdb's, if installed.
    public var geoipIPv4: String?
    public var geoipIPv6: String?
    public var clients: ClientAddressPolicy
    public var secureCookies: Bool
    public var connections: ConnectionLimits

    public init(
        host: String, port: Int, database: String, templates: String,
        geoipIPv4: String? = nil, geoipIPv6: String? = GeoIPDatabase.defaultIPv6Path,
        clients: ClientAddressPolicy = ClientAddressPolicy(), secureCookies: Bool = false,
        connections: ConnectionLimits = ConnectionLimits()
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.templates = templates
        self.geoipIPv4 = geoipIPv4
        self.geoipIPv6 = geoipIPv6
        self.clients = clients
        self.secureCookies = secureCookies
        self.connections = connections
    }
}

/// The Hub server: the API and the web pages on one Hummingbird router.
public enum HubServer {
    /// Serves until SIGINT/SIGTERM. `onListening` gets the bound address
    /// (with the real port when 0 was asked for); `onWarning` what the
    /// administrator should fix though the Hub serves.
    public static func run(
        _ config: HubServerConfiguration, onWarning: @escaping @Sendable (String) -> Void = { _ in },
        onListening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let store = try SQLStore(database: config.database)
        try store.migrate()
        let geoip: GeoIPDatabase
        if let loaded = try GeoIPDatabase.forServing(ipv4Path: config.geoipIPv4, ipv6Path: config.geoipIPv6) {
            geoip = loaded
        } else {
            onWarning(
                "no GeoIP data: \(GeoIPDatabase.defaultIPv4Path) is missing (install tor-geoipdb, or pass --geoip);"
                    + " every client gets the default region")
            geoip = .empty
        }
        let service = HubService(store: store, router: RegionRouter(geoip: geoip))
        let templates = try await WebRoutes.loadTemplates(directory: config.templates)

        let router = Self.router(service: service, templates: templates, clients: config.clients, secureCookies: config.secureCookies)
        let total = config.connections.totalWithin(openFileLimit: ConnectionLimits.openFileLimit())
        let app = Application(
            router: router,
            server: .http1(limits: config.connections),
            configuration: .init(
                address: .hostname(config.host, port: config.port), serverName: "bam-hub",
                availableConnectionsDelegate: total.map { MaximumAvailableConnections($0) }),
            onServerRunning: { channel in
                onListening(channel.localAddress?.ipAddress ?? config.host, channel.localAddress?.port ?? config.port)
            })
        try await app.runService()
    }

    /// The API and the pages on one router: what `run` serves, and what
    /// `HubInProcessClient` answers without a socket.
    public static func router(
        service: HubService, templates: MustacheLibrary, clients: ClientAddressPolicy, secureCookies: Bool
    ) -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        APIRoutes(service: service, clients: clients).add(to: router)
        WebRoutes(service: service, templates: templates, clients: clients, secureCookies: secureCookies).add(to: router)
        return router
    }
}
