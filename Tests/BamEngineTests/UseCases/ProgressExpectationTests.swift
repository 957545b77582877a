import Foundation
import Testing
@testable import BamEngine

/// A restore says up front how many volumes it applies, then reports each:
/// what a front end's percentage counts.
@Suite("progress expectations")
struct ProgressExpectationTests {
    final class Recorder: ProgressReporter, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var expectedVolumes: [Int] = []
        private(set) var volumesAfterExpectation = 0
        func report(_ event: ProgressEvent) {
            lock.lock(); defer { lock.unlock() }
            switch event {
            case .expected(_, let volumes?): expectedVolumes.append(volumes)
            case .volume where !expectedVolumes.isEmpty: volumesAfterExpectation += 1
            default: break
            }
        }
    }

    @Test("a raw restore of a two-volume full and an incremental expects 3 volumes and reports 3")
    func restoreExpectsItsVolumes() throws {
        let tree = try TestTree("progress-expected")
        let registry = Registry(path: tree.area("registry"))
        _ = try registry.initialise(force: false)
        // Incompressible data over the 1 MiB volume size: two volumes.
        var random = SystemRandomNumberGenerator()
        let data = (0..<(1_500_000)).map { _ in UInt8.random(in: 0...255, using: &random) }
        _ = try tree.file(Array("src/big".utf8), data)
        var backup = BackupRequest(registry: registry.path)
        backup.rawSource = tree.area("src")
        backup.address = "file://" + tree.area("target")
        backup.cacheRoot = tree.area("cache")
        backup.volumeSize = 1
        _ = try BackupUseCase(backup).run()
        try tree.file("src/small.txt", "small\n")
        _ = try BackupUseCase(backup).run()

        var restore = RestoreRequest(registry: registry.path)
        restore.address = backup.address
        restore.rawDestination = tree.area("out")
        restore.cacheRoot = tree.area("cache")
        let recorder = Recorder()
        _ = try RestoreUseCase(restore, key: .passphrase(""), progress: recorder).run()
        #expect(recorder.expectedVolumes == [3])
        #expect(recorder.volumesAfterExpectation == 3)
    }
}
