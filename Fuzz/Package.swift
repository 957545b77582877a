// swift-tools-version:6.0
import Foundation
import PackageDescription

// Fuzz targets for bam's parsers of untrusted input (issue #15), apart from
// the main package so that its build and tests are untouched. Built and run
// by scripts/fuzz.sh (`make fuzz`) with -sanitize=fuzzer,address; one binary
// holds every target (BAM_FUZZ_TARGET picks one), which keeps the sanitized
// link to one step on small machines. SwiftPM links an executable's
// `main` to its module's entry point, so main.swift starts libFuzzer's
// driver itself (CLibFuzzer declares it) rather than libFuzzer's own main.
//
// A path dependency's identity is its directory's name, which depends on
// where the tree is checked out, so the manifest works it out.
let mainPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "bam-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "bam-fuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "BamEngine", package: mainPackage),
                .product(name: "BamWebmin", package: mainPackage),
                .product(name: "BamHub", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
