import Foundation

/// Picks the storage region for a client address: its country from GeoIP,
/// the country's centroid, then the region nearest by great-circle
/// distance. Private, loopback and unknown addresses get the default region.
public struct RegionRouter: Sendable {
    public let geoip: GeoIPDatabase

    public init(geoip: GeoIPDatabase) { self.geoip = geoip }

    public func region(for client: String?, among regions: [Region]) -> Region? {
        guard !regions.isEmpty else { return nil }
        let fallback = regions.first(where: { $0.isDefault }) ?? regions[0]
        guard let client, let country = geoip.country(of: client),
            let centroid = CountryCentroids.coordinates(of: country)
        else { return fallback }
        return regions.min { a, b in
            Self.distanceKm(centroid, (a.latitude, a.longitude)) < Self.distanceKm(centroid, (b.latitude, b.longitude))
        }
    }

    /// Haversine distance on a sphere of the Earth's mean radius.
    public static func distanceKm(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let r = 6371.0, rad = Double.pi / 180
        let dLat = (b.0 - a.0) * rad, dLon = (b.1 - a.1) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.0 * rad) * cos(b.0 * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * r * asin(min(1, sqrt(h)))
    }
}
