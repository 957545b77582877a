import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// A registry-free setting for archive tests: a passphrase, a target
/// directory, a cache, and helpers to run bam's engine and real duplicity.
struct ArchiveHarness {
    let tree: TestTree
    let passphrase = "Zx3kTestSecretForArchiveRoundTrip"
    var target: String { tree.area("target") }
    var address: String { "file://" + target }
    var cache: String { tree.area("cache") }

    init(_ label: String) throws { tree = try TestTree(label) }

    @discardableResult
    func backup(_ source: String, full: Bool = false, volumeSize: Int64 = 1 << 20) throws -> ArchiveBackupResult {
        var options = ArchiveBackupOptions(source: source, address: address, cacheRoot: cache)
        options.volumeSize = volumeSize
        if full { options.fullBackup = .always }
        return try ArchiveBackup(options: options, passphrase: Array(passphrase.utf8)).run()
    }

    @discardableResult
    func restore(into destination: String, time: Int64? = nil, path: String? = nil, passphrase override: String? = nil) throws -> ArchiveRestoreResult {
        var options = ArchiveRestoreOptions(address: address, destination: destination, scratchRoot: cache)
        options.time = time
        options.path = path.map { Array($0.utf8) }
        return try ArchiveRestore(options: options, passphrase: Array((override ?? passphrase).utf8)).run()
    }

    func differences(_ a: String, _ b: String) throws -> [String] {
        try TreeComparer(expected: a, actual: b).differences()
    }

    /// Expects two trees to be identical, listing the first differences.
    func expectSame(_ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let d = try differences(a, b)
        #expect(d.isEmpty, "\(d.prefix(20))", sourceLocation: sourceLocation)
    }

    /// Runs real duplicity with the passphrase in its environment (the only
    /// way duplicity takes one non-interactively; this is the test's oracle).
    @discardableResult
    func duplicity(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try runProcess(
            "/usr/bin/duplicity", arguments + ["--archive-dir", tree.area("dupcache")],
            environment: ["PASSPHRASE": passphrase, "HOME": tree.root, "LANG": "C.UTF-8"].merging(extra) { $1 })
    }
}

/// Runs a program, returns its status and combined output.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> (
    status: Int32, output: String
) {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw BamError.external("\(executable) is not installed: run 'make deps'")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
