import BamTestSupport
import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Two `bam backup` runs on one S3 prefix (real moto and rclone servers): the second,
/// started while the first is in the middle of its work, exits 14 naming
/// it; the first completes a set that verifies and restores.
@Suite(.serialized, .needs(.s3)) struct S3TargetLockCommandTests {
    @Test(arguments: S3ServerKind.allCases) func secondBackupOnABusyPrefixExits14(_ kind: S3ServerKind) throws {
        let box = try BamS3Sandbox("s3-lock", on: kind)
        try box.initialise()
        try box.makeSource(randomMiB: 16)
        let backup = ["backup", "--raw-upload", box.source, "--address", box.address, "--volsize", "2"]
        let direct = try box.direct()
        func held() throws -> TargetLockHolder? {
            try direct.read(name: TargetLock.objectName, limit: TargetLockHolder.sizeLimit).flatMap(TargetLockHolder.parse)
        }

        let (first, output) = try box.process(backup)
        // Drained on its own thread: a full pipe would block the first run.
        let firstOutput = OutputCollector(output)
        var refusal: (status: Int32, output: String)?
        try PausedChild.whilePaused(first, when: { try held() != nil }) {
            #expect(try held()?.pid == first.processIdentifier)
            refusal = try box.bam(backup)
        }
        first.waitUntilExit()
        #expect(first.terminationStatus == 0, "\(firstOutput.text)")

        let r = try #require(refusal)
        #expect(r.status == 14, "\(r.output)")
        #expect(r.output.contains("pid \(first.processIdentifier) on \(TargetLockHolder.thisHost()) (bam 0.1.0 backup) since"), "\(r.output)")
        #expect(try held() == nil, "the lock is released at the end")
        #expect(try !direct.list().contains { $0.name.hasPrefix(".") || $0.name == TargetLock.objectName })

        try box.bamOK(["verify", "--address", box.address, "--compare", box.source])
        let out = box.tree.area("restored")
        try box.bamOK(["restore", "--raw-download", out, "--address", box.address])
        let d = try TreeComparer(expected: box.source, actual: out).differences()
        #expect(d.isEmpty, "\(d.prefix(10))")
    }

    @Test func staleLockOfAnotherHostIsTakenOverWithAWarning() throws {
        let box = try BamS3Sandbox("s3-lock-stale")
        try box.initialise()
        try box.makeSource(randomMiB: 1)
        let now = Int64(time(nil))
        let stale = TargetLockHolder(
            id: "00112233445566778899aabbccddeeff", host: "gone.example", bootID: "", pid: 7,
            operation: "backup", program: "bam 0.1.0", started: now - 7200, heartbeat: now - 3600)
        try box.direct().write(name: TargetLock.objectName, contents: stale.render())
        let output = try box.bamOK(["backup", "--raw-upload", box.source, "--address", box.address])
        #expect(
            output.contains("taking over the stale lock") && output.contains("pid 7 on gone.example")
                && output.contains("no heartbeat for 60 min"), "\(output)")
        #expect(try box.direct().read(name: TargetLock.objectName, limit: 4096) == nil)
    }

    final class OutputCollector: @unchecked Sendable {
        private let mutex = NSLock()
        private var data = Data()
        init(_ pipe: Pipe) {
            Thread { [self] in
                let all = pipe.fileHandleForReading.readDataToEndOfFile()
                mutex.lock(); data = all; mutex.unlock()
            }.start()
        }
        var text: String { mutex.lock(); defer { mutex.unlock() }; return String(decoding: data, as: UTF8.self) }
    }
}
