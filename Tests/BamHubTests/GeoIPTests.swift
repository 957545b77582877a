import BamTestSupport
import BamHub
import Foundation
import Testing

/// GeoIP routing on Debian's tor-geoipdb ranges: addresses known from the
/// file itself map to the nearest region; private ones to the default.
@Suite("GeoIP routing")
struct GeoIPTests {
    static let regions = [
        Region(name: "home", endpoint: "file:///srv", bucket: "home", latitude: 0, longitude: -30, isDefault: true),
        Region(name: "eu-frankfurt", endpoint: "file:///srv", bucket: "eu", latitude: 50.1, longitude: 8.7),
        Region(name: "us-virginia", endpoint: "file:///srv", bucket: "us", latitude: 38.9, longitude: -77.4),
        Region(name: "ap-sydney", endpoint: "file:///srv", bucket: "ap", latitude: -33.9, longitude: 151.2),
    ]

    /// An address inside a range the file gives to `country`.
    static func address(in country: String) throws -> String {
        let text = try String(contentsOfFile: GeoIPDatabase.defaultIPv4Path, encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasSuffix("," + country) {
            let f = line.split(separator: ",")
            if let from = UInt32(f[0]), let to = UInt32(f[1]), to > from {
                let v = from + 1
                return "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)"
            }
        }
        throw TestServerError(description: "no \(country) range in \(GeoIPDatabase.defaultIPv4Path)")
    }

    @Test("known addresses go to the nearest region, private and unknown ones to the default")
    func routing() throws {
        let geoip = try GeoIPDatabase()
        let router = RegionRouter(geoip: geoip)
        let de = try Self.address(in: "DE"), us = try Self.address(in: "US"), au = try Self.address(in: "AU")
        #expect(geoip.country(of: de) == "DE")
        #expect(router.region(for: de, among: Self.regions)?.name == "eu-frankfurt")
        #expect(router.region(for: us, among: Self.regions)?.name == "us-virginia")
        #expect(router.region(for: au, among: Self.regions)?.name == "ap-sydney")
        #expect(router.region(for: "::ffff:" + de, among: Self.regions)?.name == "eu-frankfurt")
        for address in ["10.1.2.3", "192.168.1.10", "127.0.0.1", "172.16.0.1", "::1", "fe80::1", "garbage", ""] {
            #expect(router.region(for: address, among: Self.regions)?.name == "home", "\(address)")
        }
        #expect(router.region(for: nil, among: Self.regions)?.name == "home")
    }

    @Test("IPv6 ranges from geoip6")
    func ipv6() throws {
        let geoip = try GeoIPDatabase()
        let text = try String(contentsOfFile: GeoIPDatabase.defaultIPv6Path, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasSuffix(",JP") })
        let from = String(line.split(separator: ",")[0])
        #expect(geoip.country(of: from) == "JP")
    }

    @Test("every country in the GeoIP file has a centroid")
    func centroids() throws {
        let text = try String(contentsOfFile: GeoIPDatabase.defaultIPv4Path, encoding: .utf8)
        let countries = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map(String.init) })
        let missing = countries.filter { $0 != "??" && CountryCentroids.coordinates(of: $0) == nil }.sorted()
        #expect(missing.isEmpty, "no centroid for \(missing)")
        #expect(CountryCentroids.count >= 245)
    }

    @Test("over HTTP: a trusted proxy's X-Forwarded-For picks the region; an untrusted one is ignored", arguments: TestDatabase.inThisRun)
    func proxyHeader(database: TestDatabase) throws {
        let hub = try HubTestServer("geoip", database: database)
        let apiKey = try hub.addAccount("geo@example.com")
        try hub.addFileRegion("home", lat: 0, lon: -30, isDefault: true)
        try hub.addFileRegion("eu", lat: 50.1, lon: 8.7)
        try hub.addFileRegion("ap", lat: -33.9, lon: 151.2)
        try hub.start(extra: ["--trust-proxy-header", "X-Forwarded-For", "--trusted-proxy", "127.0.0.1"])
        let de = try Self.address(in: "DE"), au = try Self.address(in: "AU")
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        let sk = try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String)
        func create(_ forwarded: String?) throws -> String {
            var headers = [(name: "subkey", value: sk)]
            if let forwarded { headers.append((name: "X-Forwarded-For", value: forwarded)) }
            let r = try hub.call("POST", "/api/backup/record/create/", form: ["key": TestKeys.protected, "turnkey_version": "generic"], headers: headers)
            return try #require((try HubTestServer.json(r) as? [String: Any])?["address"] as? String)
        }
        #expect(try create("203.0.113.9, \(de)").contains("/eu/bam/"))
        #expect(try create(au).contains("/ap/bam/"))
        #expect(try create("10.0.0.7").contains("/home/bam/"))
        #expect(try create(nil).contains("/home/bam/"))
        hub.stop()

        // Without --trusted-proxy for this peer, the header is not believed.
        try hub.start(extra: ["--trust-proxy-header", "X-Forwarded-For", "--trusted-proxy", "192.0.2.1"])
        #expect(try create(de).contains("/home/bam/"))
    }

    @Test("without tor-geoipdb the Hub serves, every client from the default region, with one warning")
    func missingDefaultGeoIP() throws {
        let hub = try HubTestServer("nogeoip", database: .sqlite)
        let apiKey = try hub.addAccount("nogeo@example.com")
        try hub.addFileRegion("home", lat: 0, lon: -30, isDefault: true)
        try hub.addFileRegion("eu", lat: 50.1, lon: 8.7)
        try hub.start(extra: ["--trust-proxy-header", "X-Forwarded-For", "--trusted-proxy", "127.0.0.1"], withoutTorGeoIPDB: true)
        let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
        #expect(r.status == 200)
        let sk = try #require((try HubTestServer.json(r) as? [String: Any])?["subkey"] as? String)
        // A German address, which goes to "eu" when GeoIP data is there (proxyHeader above).
        let de = try Self.address(in: "DE")
        let created = try hub.call(
            "POST", "/api/backup/record/create/", form: ["key": TestKeys.protected, "turnkey_version": "generic"],
            headers: [(name: "subkey", value: sk), (name: "X-Forwarded-For", value: de)])
        let address = try #require((try HubTestServer.json(created) as? [String: Any])?["address"] as? String)
        #expect(address.contains("/home/bam/"), "\(address)")
        #expect(try hub.call("GET", "/signin").status == 200)
        let warning =
            "bam-hub: warning: no GeoIP data: /usr/share/tor/geoip is missing (install tor-geoipdb, or pass --geoip);"
            + " every client gets the default region"
        #expect(hub.serveLog.components(separatedBy: warning).count == 2, "\(hub.serveLog)")
    }

    @Test("a GeoIP file named with --geoip that is missing stops serve with exit 64")
    func missingExplicitGeoIP() throws {
        let hub = try HubTestServer("badgeoip", database: .sqlite)
        let missing = hub.directory + "/no-such-geoip"
        // timeout: a serve that wrongly starts fails the test (124) instead of hanging it.
        let r = try Child.run(
            "/usr/bin/timeout",
            [
                "60", try HubTestServer.binary(), "serve", "--listen", "127.0.0.1:0",
                "--database", hub.database, "--templates", HubTestServer.packageRoot + "/templates/hub",
                "--geoip", missing,
            ])
        #expect(r.status == 64)
        #expect(r.stderr.contains("cannot read GeoIP file \(missing)"), "\(r.stderr)")
        #expect(!r.stdout.contains("listening"))
    }
}
