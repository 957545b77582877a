import BamTestSupport
import Foundation
import Testing
import Deflate
@testable import GPG

/// bam compresses volumes itself (ISA-L) into an OpenPGP compressed message
/// that gpg only encrypts, and decompresses what `gpg --unwrap` leaves. The
/// messages must be what any OpenPGP reader takes, and bam must read what
/// gpg writes, whatever the compression.
@Suite("OpenPGP compression outside gpg")
struct OpenPGPCompressionTests {
    static let passphrase = Array("correct horse battery staple".utf8)
    /// Around the 64 KiB partial-length chunk (the literal body has a 6-byte prefix).
    static let sizes = [0, 1, 191, 8_383, 65_529, 65_530, 65_531, 131_066, 131_067, 1_000_003]

    static func text(count: Int, seed: Int = 1) -> [UInt8] {
        let words = ["alpha", "beta", "gamma", "delta", "server", "backup", "volume", "<div>", "</p>\n", "\u{e9}t\u{e9}"]
        var out: [UInt8] = []
        out.reserveCapacity(count + 16)
        var i = seed
        while out.count < count { out += Array((words[(i * 7 + i / 3) % words.count] + " ").utf8); i += 1 }
        return Array(out.prefix(count))
    }

    /// Feeds a whole message to an extractor in pieces of `step` bytes.
    static func extract(_ message: [UInt8], step: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        let extractor = LiteralDataExtractor { out.append(contentsOf: $0) }
        try message.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let end = min(raw.count, i + step)
                try extractor.feed(UnsafeRawBufferPointer(rebasing: raw[i..<end]))
                i = end
            }
        }
        try extractor.finish()
        return out
    }

    static func compressedMessage(_ data: [UInt8], compression: VolumeCompression = .fast) throws -> [UInt8] {
        var message: [UInt8] = []
        try Pipe.feeding(data) { fd in
            let reader = try CompressedMessageReader(fd: fd, compression: compression)
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                message += buffer[0..<n]
            }
        }
        return message
    }

    /// Runs the gpg command line in `home` with the passphrase on stdin.
    static func gpg(_ home: GPGHome, _ arguments: [String]) throws -> ChildRun {
        try Child.run(
            "/usr/bin/gpg",
            [
                "--homedir", home.path, "--batch", "--quiet", "--pinentry-mode", "loopback",
                "--passphrase-fd", "0",
            ] + arguments,
            stdin: String(decoding: passphrase, as: UTF8.self) + "\n")
    }

    static func withHome<R>(_ body: (GPGHome, String) throws -> R) throws -> R {
        let scratch = NSTemporaryDirectory() + "bam-pgp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let home = try GPGHome(parent: "/tmp")
        defer { home.close(); try? FileManager.default.removeItem(atPath: scratch) }
        return try body(home, scratch)
    }

    @Test("the compressed message is a ZIP packet around a literal packet, at every chunk boundary", arguments: sizes)
    func messageRoundTrip(size: Int) throws {
        let data = Self.text(count: size)
        let message = try Self.compressedMessage(data)
        #expect(Array(message.prefix(2)) == [0xA3, 0x01])
        #expect(try Self.extract(message, step: 1 << 20) == data)
        #expect(try Self.extract(message, step: 7) == data)
        if size > 100_000 { #expect(message.count < size / 2, "text is compressed") }
    }

    @Test("gpg alone decrypts what bam encrypts, compressed or not, to the same bytes")
    func gpgReadsBamMessages() throws {
        try Self.withHome { home, scratch in
            let cipher = SymmetricCipher(home: home, passphrase: Self.passphrase)
            for size in [0, 65_531, 1_000_003] {
                for compress in [true, false] {
                    let data = Self.text(count: size, seed: size)
                    let encrypted = try cipher.encrypt(data, compress: compress)
                    let path = "\(scratch)/m.gpg", out = "\(scratch)/m.out"
                    try Data(encrypted).write(to: URL(fileURLWithPath: path))
                    try? FileManager.default.removeItem(atPath: out)
                    let run = try Self.gpg(home, ["--output", out, "--decrypt", path])
                    #expect(run.status == 0, "\(run.stderr)")
                    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == data, "size \(size), compress \(compress)")
                    let packets = try Self.gpg(home, ["--list-packets", path]).stdout
                    #expect(packets.contains(":compressed packet: algo=1") == compress, "\(packets)")
                    #expect(packets.contains(":literal data packet:"))
                    #expect(try cipher.decrypt(encrypted) == data)
                }
            }
        }
    }

    /// Text, random data, text: each 64 KiB chunk is compressed or stored
    /// by its own estimate, so the random middle costs no compression time
    /// and the text on both sides still shrinks; gpg and bam read it back.
    @Test(
        "chunks of random data are stored, the text around them compressed, in one message gpg reads",
        arguments: VolumeCompression.allCases)
    func mixedChunks(compression: VolumeCompression) throws {
        let text = Self.text(count: 1 << 20, seed: 3)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let random = (0..<(2 << 20)).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        let data = text + random + text
        let message = try Self.compressedMessage(data, compression: compression)
        #expect(try Self.extract(message, step: 1 << 16) == data)
        // The random part is stored (5 bytes a block, a 1-byte length piece
        // per chunk), the text compressed to a fraction.
        #expect(message.count > random.count && message.count < random.count + (2 << 20) / 4, "\(message.count)")
        #expect(message.count < random.count + 64 << 10, "the text shrinks: \(message.count)")
        try Self.withHome { home, scratch in
            let cipher = SymmetricCipher(home: home, passphrase: Self.passphrase, compression: compression)
            let encrypted = try cipher.encrypt(data, compress: true)
            let path = "\(scratch)/mixed.gpg", out = "\(scratch)/mixed.out"
            try Data(encrypted).write(to: URL(fileURLWithPath: path))
            let run = try Self.gpg(home, ["--output", out, "--decrypt", path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == data)
        }
    }

    @Test("best (zlib 6) is smaller than fast on text, and both read back at every chunk boundary", arguments: sizes)
    func bestAgainstFast(size: Int) throws {
        let data = Self.text(count: size, seed: 11)
        let fast = try Self.compressedMessage(data, compression: .fast)
        let best = try Self.compressedMessage(data, compression: .best)
        #expect(try Self.extract(best, step: 4099) == data)
        if size > 100_000 { #expect(best.count < fast.count, "best \(best.count), fast \(fast.count)") }
    }

    @Test("the estimate tells text and binaries from random data")
    func estimate() {
        let text = Self.text(count: 64 << 10)
        var state: UInt64 = 42
        let random = (0..<(64 << 10)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        #expect(text.withUnsafeBytes(CompressibilityEstimate.worthCompressing))
        #expect(!random.withUnsafeBytes(CompressibilityEstimate.worthCompressing))
        // Half and half: the text half pays for compressing the chunk.
        let half = Array(text.prefix(32 << 10)) + Array(random.prefix(32 << 10))
        #expect(half.withUnsafeBytes(CompressibilityEstimate.worthCompressing))
        // Too small to judge: compressed.
        #expect(Array(random.prefix(1000)).withUnsafeBytes(CompressibilityEstimate.worthCompressing))
    }

    @Test("bam decrypts gpg's own messages: ZIP, ZLIB, none and BZIP2, from a file or a pipe", arguments: ["zip", "zlib", "none", "bzip2"])
    func bamReadsGpgMessages(algorithm: String) throws {
        try Self.withHome { home, scratch in
            let data = Self.text(count: 300_001, seed: 5)
            let plainPath = "\(scratch)/p.txt", path = "\(scratch)/p.gpg"
            try Data(data).write(to: URL(fileURLWithPath: plainPath))
            let run = try Self.gpg(home, ["--symmetric", "--compress-algo", algorithm, "--output", path, plainPath])
            #expect(run.status == 0, "\(run.stderr)")
            let cipher = SymmetricCipher(home: home, passphrase: Self.passphrase)
            let encrypted = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(try cipher.decrypt(encrypted) == data)
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var out: [UInt8] = []
            try cipher.decrypt(inputFD: fd) { out.append(contentsOf: $0) }
            #expect(out == data)
        }
    }

    @Test("bam decrypts a signed message (duplicity --sign-key): the signature packets are skipped")
    func signedMessage() throws {
        try Self.withHome { home, scratch in
            let key = try Child.run(
                "/usr/bin/gpg",
                [
                    "--homedir", home.path, "--batch", "--quiet", "--pinentry-mode", "loopback",
                    "--passphrase", "", "--quick-generate-key", "bam-test@example.org", "ed25519", "sign", "never",
                ])
            #expect(key.status == 0, "\(key.stderr)")
            let data = Self.text(count: 150_000, seed: 9)
            let plainPath = "\(scratch)/s.txt", path = "\(scratch)/s.gpg"
            try Data(data).write(to: URL(fileURLWithPath: plainPath))
            let run = try Self.gpg(home, ["--symmetric", "--sign", "--local-user", "bam-test@example.org", "--output", path, plainPath])
            #expect(run.status == 0, "\(run.stderr)")
            let encrypted = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            let packets = try Self.gpg(home, ["--list-packets", path]).stdout
            #expect(packets.contains(":onepass_sig packet:") && packets.contains(":signature packet:"), "\(packets)")
            #expect(try SymmetricCipher(home: home, passphrase: Self.passphrase).decrypt(encrypted) == data)
        }
    }

    @Test("a flipped byte in the ciphertext is damage, not data")
    func flippedByte() throws {
        try Self.withHome { home, _ in
            let cipher = SymmetricCipher(home: home, passphrase: Self.passphrase)
            var encrypted = try cipher.encrypt(Self.text(count: 200_000), compress: true)
            encrypted[encrypted.count / 2] ^= 0x10
            #expect { _ = try cipher.decrypt(encrypted) } throws: { error in
                guard case GPGError.damaged = error else { return false }
                return true
            }
        }
    }

    @Test("truncated, mislabelled and corrupt messages are refused with the reason")
    func malformedMessages() throws {
        let message = try Self.compressedMessage(Self.text(count: 200_000))
        func reason(_ bytes: [UInt8]) -> String? {
            do { _ = try Self.extract(bytes, step: 4096); return nil } catch { return "\(error)" }
        }
        #expect(reason(Array(message.dropLast(40)))?.contains("ends early") == true)
        #expect(reason([0x3F] + message)?.contains("high bit") == true)
        #expect(reason([0xC1, 0x00] + message)?.contains("tag 1") == true)
        // The first deflate block's type set to 11, which RFC 1951 reserves.
        // (A raw stream has no checksum of its own: a flipped byte in a
        // volume is caught by gpg's modification detection code and the
        // manifest's volume hashes; see flippedByte.)
        var corrupt = message
        corrupt[2] |= 0x06
        #expect(reason(corrupt) != nil)
        #expect(reason([0xCB, 0x0A, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00])?.contains("ends inside") == true)
        #expect(reason([0xCB, 0x03, 0x62, 0x00, 0x00])?.contains("shorter than its own header") == true)
        #expect(reason([0xA3, 0x03])?.contains("ends early") == true, "an empty BZIP2 stream")
        #expect(reason([]) == "malformed OpenPGP message: it holds no literal data")
        // Once left to gpg, which printed an error and handed back nothing
        // with success: restored as an empty volume.
        #expect(reason([0xA3, 99, 1, 2, 3])?.contains("unknown compression algorithm 99") == true)
        #expect(reason([0xA3, 0x03] + Array("BZh91AY&SY".utf8) + [UInt8](repeating: 0xFF, count: 64))?.contains("bzip2") == true)
        #expect(reason([0xA3, 0x03] + Array("not bzip2".utf8))?.contains("bad magic") == true)
    }

    @Test(
        "a message gpg encrypts around an undecodable compressed packet is damage, not empty data",
        arguments: [[0xA3, 99, 0x41, 0x42], [0xA3, 0x01, 0xFF, 0xFF, 0xFF, 0xFF], [0xA3, 0x03, 0x42, 0x5A, 0x68, 0x39, 0xFF]] as [[UInt8]])
    func undecodableInsideEncryption(packet: [UInt8]) throws {
        try Self.withHome { home, scratch in
            let plainPath = "\(scratch)/c.bin", path = "\(scratch)/c.gpg"
            try Data(packet).write(to: URL(fileURLWithPath: plainPath))
            let run = try Self.gpg(home, ["--symmetric", "--no-literal", "--compress-algo", "none", "--output", path, plainPath])
            #expect(run.status == 0, "\(run.stderr)")
            let encrypted = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect { _ = try SymmetricCipher(home: home, passphrase: Self.passphrase).decrypt(encrypted) } throws: { error in
                guard case GPGError.damaged = error else { return false }
                return true
            }
        }
    }
}
