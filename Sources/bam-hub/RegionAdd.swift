import ArgumentParser
import BamHub
import Foundation

struct RegionAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a storage region that clients near LAT/LON are sent to.",
        discussion: """
            Keys: give --secret-key-stdin to read the secret key from standard input and keep it out of the \
            process list; it is never printed or logged. With --sts-role the Hub hands out temporary \
            credentials limited to each record's prefix; with --iam-users it creates one IAM user per record, \
            limited to the record's prefix; with neither it hands out these keys (not limited).
            """)

    @Argument(help: "The region's name (letters, digits, - and _).")
    var name: String

    @Option(help: ArgumentHelp("S3 endpoint (https://HOST[:PORT], http://HOST:PORT) or file:///DIR for a single-machine Hub.", valueName: "URL"))
    var endpoint: String

    @Option(help: ArgumentHelp("Bucket (a subdirectory for file:// endpoints).", valueName: "B"))
    var bucket: String

    @Option(help: ArgumentHelp("Latitude of the region, degrees (negative values as --lat=-33.9).", valueName: "X"))
    var lat: Double

    @Option(help: ArgumentHelp("Longitude of the region, degrees (negative values as --lon=-77.4).", valueName: "Y"))
    var lon: Double

    @Option(help: ArgumentHelp("Access key id of the region's keys.", valueName: "K"))
    var accessKey: String?

    @Option(help: ArgumentHelp("Secret key (prefer --secret-key-stdin).", valueName: "S"))
    var secretKey: String?

    @Flag(help: "Read the secret key from the first line of standard input.")
    var secretKeyStdin = false

    @Option(help: ArgumentHelp("Role to assume through STS for scoped temporary credentials.", valueName: "ARN"))
    var stsRole: String?

    @Flag(help: "Give each record its own IAM user limited to its prefix (the region's keys must be allowed to manage IAM users).")
    var iamUsers = false

    @Flag(help: "Clients whose location is unknown (private addresses, no GeoIP match) use this region.")
    var `default` = false

    func run() throws {
        var secret = secretKey
        if secretKeyStdin {
            guard secretKey == nil else { throw ValidationError("give --secret-key or --secret-key-stdin, not both") }
            secret = readLine(strippingNewline: true)
            if secret?.isEmpty ?? true { throw ValidationError("--secret-key-stdin: standard input is empty") }
        }
        let region = Region(
            name: name, endpoint: endpoint, bucket: bucket, latitude: lat, longitude: lon,
            accessKey: accessKey, secretKey: secret, stsRole: stsRole, isDefault: `default`,
            iamUsers: iamUsers)
        try runAdmin {
            try AdminOperations.addRegion(store: try database.openStore(), region: region)
            print("region \(name) added\(`default` ? " (default)" : "")")
        }
    }

    @OptionGroup var database: DatabaseOptions
}
