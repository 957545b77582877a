// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the engine hands work between threads (volume
// encryption, prefetching) with plain locks, which strict Swift 6 checking
// would force into async/actor rewrites for no safety gain here.
let swiftSettings: [SwiftSetting] = []

let package = Package(
    name: "bam",
    products: [
        .executable(name: "bam", targets: ["bam"]),
        .library(name: "BamEngine", targets: ["BamEngine"]),
        .executable(name: "bam-webmin", targets: ["bam-webmin"]),
        .executable(name: "bam-hub", targets: ["bam-hub"]),
        // For the fuzz package (Fuzz/), which reaches the CGI and Hub parsers.
        .library(name: "BamWebmin", targets: ["BamWebmin"]),
        .library(name: "BamHub", targets: ["BamHub"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Already in the graph through Hummingbird; named for the Hub's connection-limit handlers.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // C libraries, each a modulemap plus a shim header of typed wrappers.
        .systemLibrary(name: "CGpgme", pkgConfig: "gpgme", providers: [.apt(["libgpgme-dev"])]),
        .systemLibrary(name: "CRsync", providers: [.apt(["librsync-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Swift wrappers that keep the C APIs private.
        // Deflate: ISA-L's deflate/inflate, zlib's deflate (the `best`
        // compression), and libbzip2's decoder for OpenPGP's BZip2.
        .target(name: "Deflate", dependencies: ["CIsal", "CZlib", "CBzip2"], swiftSettings: swiftSettings),
        .target(name: "GPG", dependencies: ["CGpgme", "Deflate"], swiftSettings: swiftSettings),
        .target(name: "RSync", dependencies: ["CRsync"], swiftSettings: swiftSettings),
        .target(name: "HTTP", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // SFTP through libcurl's libssh2 backend, apart from the HTTP client.
        .target(name: "SFTP", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // No Foundation here: Debian's libxml2 and Foundation's ICU clash.
        .target(name: "XML", dependencies: ["CXML2"], swiftSettings: swiftSettings),

        // The engine: knows nothing of any user interface.
        .target(
            name: "BamEngine",
            dependencies: [
                "GPG", "Deflate", "RSync", "HTTP", "XML", "SFTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),

        // Front ends.
        .target(
            name: "BamCLI",
            dependencies: ["BamEngine", "Deflate", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .executableTarget(name: "bam", dependencies: ["BamCLI"], swiftSettings: swiftSettings),

        // What the Webmin and Hub pages do to every string before Mustache escapes it.
        .target(name: "TemplateValues", swiftSettings: swiftSettings),

        // Webmin module: CGI programs (one multi-call binary) on the engine.
        .target(
            name: "BamWebmin",
            dependencies: [
                "BamEngine", "TemplateValues", .product(name: "Mustache", package: "swift-mustache"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(name: "bam-webmin", dependencies: ["BamWebmin"], swiftSettings: swiftSettings),

        // Servers the tests start (moto, PostgreSQL, MariaDB, bam-hub), shared by the test targets.
        .target(name: "BamTestSupport", path: "Tests/BamTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "BamEngineTests", dependencies: ["BamEngine", "GPG", "Deflate", "RSync", "HTTP", "XML", "BamTestSupport"], swiftSettings: swiftSettings),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(
            name: "BamCLITests", dependencies: ["bam", "bam-hub", "BamEngine", "BamTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // Runs the built bam-webmin (and bam) as miniserv would; depends on both so they get built.
        .testTarget(name: "BamWebminTests", dependencies: ["bam-webmin", "bam", "BamWebmin", "BamEngine", "BamTestSupport"], swiftSettings: swiftSettings),

        // The Hub server (issue #6). Its databases are C libraries behind
        // Swift wrappers like the engine's; Hummingbird stays out of the engine.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "BamHub",
            dependencies: [
                "BamEngine", "HTTP", "CSQLite", "CPostgres", "TemplateValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "bam-hub",
            dependencies: ["BamHub", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .testTarget(name: "BamHubTests", dependencies: ["bam-hub", "BamHub", "BamEngine", "HTTP", "BamTestSupport"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v5]
)
