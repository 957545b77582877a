import Foundation
import Testing
@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Key packets: v1 against an independent implementation of the original's
/// format (Python, below), v2 round trips and tampering, and the modes of
/// the registry files that hold the secret.
@Suite struct KeyPacketTests {
    // A fixed secret in the original's shape (27 Base64 characters).
    let secret = BackupSecret(value: "mZ0Mk3Lz4Y9wq1e8Q2vT7nKpR5s")

    /// Cheap scrypt for the functional v2 tests: debug builds compile
    /// BoringSSL unoptimised, where the standard cost takes seconds.
    let cheap = ScryptParameters(log2N: 10, r: 8, p: 1)

    // MARK: v1 against the reference implementation

    @Test("v1 packets made by the Python reference open in bam", arguments: ["correct horse battery staple", "pässwörd", ""])
    func referenceV1OpensInBam(passphrase: String) throws {
        let packet = try ReferenceV1.seal(secret: secret.value, passphrase: passphrase)
        #expect(try KeyPacket.open(packet, passphrase: passphrase) == secret)
        #expect(try KeyPacket.fingerprint(ofPacket: packet) == KeyPacket.fingerprint(of: secret))
        #expect(try KeyPacket.format(of: packet) == .v1)
        #expect(try KeyPacket.isPassphraseProtected(packet) == !passphrase.isEmpty)
        if !passphrase.isEmpty {
            #expect(wrongPassphraseMessage { try KeyPacket.open(packet, passphrase: passphrase + "x") } != nil)
        }
    }

    @Test("bam's v1 packets open in the Python reference", arguments: ["correct horse battery staple", "pässwörd", ""])
    func bamV1OpensInReference(passphrase: String) throws {
        let generated = BackupSecret.generate()
        let packet = try KeyPacket.seal(secret: generated, passphrase: passphrase, format: .v1)
        #expect(try ReferenceV1.open(packet: packet, passphrase: passphrase) == generated.value)
        #expect(try KeyPacket.open(packet, passphrase: passphrase) == generated)
    }

    @Test func v1HeaderIsTheOriginals() throws {
        let protected = try bytes(KeyPacket.seal(secret: secret, passphrase: "p", format: .v1))
        // 1 | 80 | 80 | fingerprint(6) | 64 bytes (4 + 20 + 27 + 2 rounded up to 16)
        #expect(protected.count == 5 + 6 + 64)
        #expect(Array(protected[0..<5]) == [1, 0, 80, 0, 80])
        #expect(hex(Array(protected[5..<11])) == KeyPacket.fingerprint(of: secret))

        let open = try bytes(KeyPacket.seal(secret: secret, passphrase: "", format: .v1))
        #expect(Array(open[0..<5]) == [1, 0, 0, 0, 0])
    }

    // MARK: v2

    @Test func v2RoundTrips() throws {
        for passphrase in ["correct horse battery staple", "x", "pässwörd with spaces  "] {
            let generated = BackupSecret.generate()
            let packet = base64(try KeyPacketV2.seal(secret: generated.bytes, passphrase: Array(passphrase.utf8), parameters: cheap))
            #expect(try KeyPacket.open(packet, passphrase: passphrase) == generated)
            #expect(try KeyPacket.format(of: packet) == .v2)
            #expect(try KeyPacket.isPassphraseProtected(packet))
            #expect(try KeyPacket.fingerprint(ofPacket: packet) == KeyPacket.fingerprint(of: generated))
        }
    }

    @Test func v2StandardCostAndUnlockTime() throws {
        // The cost chosen by measurement (see ScryptParameters.standard):
        // about 0.45 s of CPU per unlock in a release build on this machine.
        #expect(ScryptParameters.standard == ScryptParameters(log2N: 17, r: 8, p: 1))
        let packet = try KeyPacket.seal(secret: secret, passphrase: "timing", format: .v2)
        let header = try bytes(packet)
        #expect(Array(header[0..<5]) == [2, 1, 17, 8, 1])

        let wall = Date()
        let cpu = threadCPUSeconds()  // this thread only: other tests run in parallel
        #expect(try KeyPacket.open(packet, passphrase: "timing") == secret)
        let cpuSeconds = threadCPUSeconds() - cpu
        #if DEBUG
        let build = "debug build, BoringSSL unoptimised"
        #else
        let build = "release build"
        #endif
        print(
            "v2 unlock (scrypt N=2^17 r=8 p=1): \(String(format: "%.3f", Date().timeIntervalSince(wall))) s wall, \(String(format: "%.3f", cpuSeconds)) s CPU (\(build))"
        )
    }

    @Test func v2EveryFlippedBitIsRefusedAsDamage() throws {
        for passphrase in ["correct horse", ""] {
            let packet = try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array(passphrase.utf8), parameters: cheap)
            for bit in 0..<(packet.count * 8) {
                var tampered = packet
                tampered[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                let error = thrownError { try KeyPacket.open(base64(tampered), passphrase: passphrase) }
                guard case .corrupt(let what, let reason)? = error else {
                    Issue.record("flipping bit \(bit) gave \(String(describing: error)), expected a corrupt key packet")
                    continue
                }
                #expect(what == "key packet")
                #expect(reason.contains("damaged or was altered") || reason.contains("unknown format version"), "bit \(bit): \(reason)")
                #expect(!reason.contains(secret.value))
            }
        }
    }

    @Test func v2TamperWithRecomputedChecksumIsStillRefused() throws {
        // Someone who alters a byte and recomputes the plain checksum still
        // fails the GCM tag (header as AAD, or the ciphertext itself).
        let packet = try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array("pw".utf8), parameters: cheap)
        for index in [5, 20, 21, 26, 27, 38, 39, 50, packet.count - 9] {
            var tampered = Array(packet.dropLast(KeyPacketV2.checkLength))
            tampered[index] ^= 0x01
            tampered += KeyPacketV2.check(tampered)
            let error = thrownError { try KeyPacket.open(base64(tampered), passphrase: "pw") }
            #expect(error != nil, "byte \(index) altered with a fixed checksum was accepted")
        }
        let open = try KeyPacketV2.seal(secret: secret.bytes, passphrase: [], parameters: cheap)
        var tampered = Array(open.dropLast(KeyPacketV2.checkLength))
        tampered[45] ^= 0x80
        tampered += KeyPacketV2.check(tampered)
        guard case .corrupt(_, let reason)? = thrownError({ try KeyPacket.open(base64(tampered), passphrase: "") }) else {
            Issue.record("an altered unprotected packet was not refused as corrupt"); return
        }
        #expect(reason.contains("does not authenticate"))
    }

    @Test func v2RefusesHostileScryptParameters() throws {
        var packet = try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array("pw".utf8), parameters: cheap)
        packet.removeLast(KeyPacketV2.checkLength)
        packet[2] = 30  // N = 2^30: 128 GiB
        packet += KeyPacketV2.check(packet)
        guard case .corrupt(_, let reason)? = thrownError({ try KeyPacket.open(base64(packet), passphrase: "pw") }) else {
            Issue.record("huge scrypt parameters were not refused"); return
        }
        #expect(reason.contains("out of the accepted range"))
    }

    struct HostileScrypt: CustomTestStringConvertible, Sendable {
        var log2N: UInt8, r: UInt8, p: UInt8
        var named: String
        var testDescription: String { named }
    }

    /// Each within the old 1 GiB memory cap, yet up to 16 times the work of
    /// the standard cost: a reader now takes no more than bam writes.
    static let hostileScrypt: [HostileScrypt] = [
        HostileScrypt(log2N: 21, r: 4, p: 1, named: "scrypt N=2^21"),
        HostileScrypt(log2N: 17, r: 16, p: 1, named: "scrypt r=16"),
        HostileScrypt(log2N: 17, r: 8, p: 16, named: "scrypt p=16"),
        HostileScrypt(log2N: 0, r: 8, p: 1, named: "scrypt N=2^0"),
    ]

    @Test("v2 parameters beyond what bam writes are refused, naming the parameter", arguments: hostileScrypt)
    func v2RefusesCostlyScryptParameters(_ hostile: HostileScrypt) throws {
        var packet = try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array("pw".utf8), parameters: cheap)
        packet.removeLast(KeyPacketV2.checkLength)
        packet[2] = hostile.log2N; packet[3] = hostile.r; packet[4] = hostile.p
        packet += KeyPacketV2.check(packet)
        let started = Date()
        guard case .corrupt(_, let reason)? = thrownError({ try KeyPacket.open(base64(packet), passphrase: "pw") }) else {
            Issue.record("\(hostile.named) was not refused"); return
        }
        #expect(reason.contains(hostile.named), "\(reason)")
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(throws: BamError.self) {
            try KeyPacketV2.seal(secret: self.secret.bytes, passphrase: [1], parameters: ScryptParameters(log2N: hostile.log2N, r: hostile.r, p: hostile.p))
        }
    }

    /// A 75-byte v1 packet claiming 65,535 thousand rounds of each kind ran
    /// for minutes before failing; now it is refused before any round.
    @Test(
        "v1 round counts beyond the original's 80 thousand are refused at once",
        arguments: [
            (1, 2, "hash_rounds of 65535 thousand"), (3, 4, "cipher_rounds of 65535 thousand"),
        ])
    func v1RefusesHugeRoundCounts(high: Int, low: Int, named: String) throws {
        var packet = try bytes(KeyPacket.seal(secret: secret, passphrase: "p", format: .v1))
        #expect(packet.count == 75)
        packet[high] = 0xff; packet[low] = 0xff
        for passphrase in ["p", ""] {
            let started = Date()
            guard case .corrupt(_, let reason)? = thrownError({ try KeyPacket.open(base64(packet), passphrase: passphrase) }) else {
                Issue.record("huge v1 round counts were not refused"); return
            }
            #expect(reason.contains(named), "\(reason)")
            #expect(Date().timeIntervalSince(started) < 1)
        }
        packet[high] = 0; packet[low] = 81
        #expect(thrownError({ try KeyPacket.open(base64(packet), passphrase: "p") }) != nil)
    }

    /// The work is rounds times ciphertext: within the round bound, a v1
    /// packet with a megabyte of ciphertext would still ask for 80,001 AES
    /// passes over it. Found by the key-v1 fuzz target's timeouts.
    @Test("a v1 ciphertext longer than any secret needs is refused at once")
    func v1RefusesHugeCiphertext() throws {
        let packet = try bytes(KeyPacket.seal(secret: secret, passphrase: "p", format: .v1))
        let started = Date()
        let long = packet + [UInt8](repeating: 0x41, count: 1 << 20)
        guard case .corrupt(_, let reason)? = thrownError({ try KeyPacket.open(base64(long), passphrase: "p") }) else {
            Issue.record("a huge v1 ciphertext was not refused"); return
        }
        #expect(reason.contains("ciphertext is beyond the 256 bytes"), "\(reason)")
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(try KeyPacket.open(base64(packet), passphrase: "p") == secret, "the genuine 75-byte packet still opens")
    }

    // MARK: passphrases

    @Test func wrongPassphraseIsReportedAsSuch() throws {
        let v1 = try KeyPacket.seal(secret: secret, passphrase: "right one", format: .v1)
        let v2 = base64(try KeyPacketV2.seal(secret: secret.bytes, passphrase: Array("right one".utf8), parameters: cheap))
        for packet in [v1, v2] {
            for attempt in ["wrong one", ""] {
                let message = wrongPassphraseMessage { try KeyPacket.open(packet, passphrase: attempt) }
                #expect(message != nil, "\(attempt.isEmpty ? "an empty" : "a wrong") passphrase was not reported as wrong")
                #expect(!(message ?? "").contains("right one"))
                #expect(!(message ?? "").contains(secret.value))
            }
        }
    }

    @Test("an empty passphrase seals an unprotected packet", arguments: KeyPacket.Format.allCases)
    func emptyPassphrase(format: KeyPacket.Format) throws {
        let packet = try KeyPacket.seal(secret: secret, passphrase: "", format: format)
        #expect(try !KeyPacket.isPassphraseProtected(packet))
        #expect(try KeyPacket.open(packet, passphrase: "") == secret)
        // Nothing protects it, so whatever the user types opens it.
        #expect(try KeyPacket.open(packet, passphrase: "typed anyway") == secret)
        if format == .v2 { #expect(try Array(bytes(packet)[0..<5]) == [2, 0, 0, 0, 0]) }
    }

    // MARK: damaged input

    @Test func damagedTextIsCorrupt() throws {
        let v1 = try bytes(KeyPacket.seal(secret: secret, passphrase: "", format: .v1))
        let cases: [(String, String)] = [
            ("", "empty"),
            ("not base64 at all!", "not Base64"),
            (base64([3] + Array(v1.dropFirst())), "unknown format version 3"),
            (base64(Array(v1.prefix(20))), "truncated"),
            (base64([2, 0, 0]), "truncated"),
        ]
        for (text, expected) in cases {
            guard case .corrupt(let what, let reason)? = thrownError({ try KeyPacket.open(text, passphrase: "x") }) else {
                Issue.record("\(expected): not refused as corrupt"); continue
            }
            #expect(what == "key packet")
            #expect(reason.contains(expected), "\(reason)")
        }
    }

    @Test func fingerprintIsTwelveUppercaseHexDigits() {
        let fingerprint = KeyPacket.fingerprint(of: secret)
        #expect(fingerprint.count == 12)
        #expect(fingerprint.allSatisfy { "0123456789ABCDEF".contains($0) })
    }

    @Test func randomPassphrasesLookAsDocumented() {
        let a = RandomPassphrase.generate(), b = RandomPassphrase.generate()
        #expect(a != b)
        let groups = a.split(separator: "-")
        #expect(groups.count == 5 && groups.allSatisfy { $0.count == 4 })
        #expect(!a.contains { "01ilo".contains($0) })
    }

    // MARK: registry files

    @Test func registryModesAndKeyFile() throws {
        let parent = try Posix.makeTemporaryDirectory(prefix: "bam-keys-")
        defer { try? Posix.removeTree(Array(parent.utf8)) }
        let registry = Registry(path: parent + "/registry")
        let old = umask(0)  // a permissive umask must not widen the modes
        defer { umask(old) }
        let created = try registry.initialise(force: false)
        #expect(try mode(registry.path) == 0o700)
        #expect(try mode(registry.secretPath) == 0o600)

        // A key file left with a wide mode is replaced by a 0600 one.
        try Posix.writeFileAtomically(registry.keyPath, Array("old\n".utf8), mode: 0o644)
        let packet = try KeyPacket.seal(secret: created, passphrase: "", format: .v2)
        try registry.saveKey(packet)
        #expect(try mode(registry.keyPath) == 0o600)
        #expect(try registry.loadKey() == packet)
        #expect(try KeyPacket.open(registry.loadKey(), passphrase: "") == registry.loadSecret())
    }

    @Test func loadKeyWithoutKeyExplains() throws {
        let parent = try Posix.makeTemporaryDirectory(prefix: "bam-keys-")
        defer { try? Posix.removeTree(Array(parent.utf8)) }
        guard case .registry(let message)? = thrownError({ try Registry(path: parent).loadKey() }) else {
            Issue.record("a missing key file was not reported"); return
        }
        #expect(message.contains("bam passphrase"))
    }

    // MARK: helpers

    private func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func mode(_ path: String) throws -> mode_t { try Posix.lstat(Array(path.utf8)).st_mode & 0o7777 }
    private func bytes(_ text: String) throws -> [UInt8] { Array(try #require(Data(base64Encoded: text))) }
    private func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    private func thrownError(_ body: () throws -> Any) -> BamError? {
        do { _ = try body(); return nil } catch let error as BamError { return error } catch { return nil }
    }

    private func wrongPassphraseMessage(_ body: () throws -> Any) -> String? {
        if case .wrongPassphrase(let message)? = thrownError(body) { return message }
        return nil
    }
}
