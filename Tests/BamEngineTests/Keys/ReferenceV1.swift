import Foundation

/// An independent implementation of the original TKLBAM key packet (v1),
/// written from the reference description in Python with the
/// `cryptography` package, so bam's Swift code is checked against
/// something it shares no code with. Requests go over stdin as JSON: no
/// passphrase in argv.
enum ReferenceV1 {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func seal(secret: String, passphrase: String) throws -> String {
        try run(["op": "seal", "secret": secret, "passphrase": passphrase])
    }

    static func open(packet: String, passphrase: String) throws -> String {
        try run(["op": "open", "packet": packet, "passphrase": passphrase])
    }

    private static func run(_ request: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python reference exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let script = #"""
        import base64, hashlib, json, os, struct, sys
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        ROUNDS = 80000 + 1  # KDF and cipher rounds with a passphrase

        def cipher_key(passphrase, rounds):
            key = passphrase
            for _ in range(rounds):
                key = hashlib.sha256(key).digest()
            return key

        def cbc(key, data, encrypt):
            # A fresh cipher each round: the IV is zero every time.
            cipher = Cipher(algorithms.AES(key), modes.CBC(bytes(16)))
            op = cipher.encryptor() if encrypt else cipher.decryptor()
            return op.update(data) + op.finalize()

        def seal(secret, passphrase):
            rounds = ROUNDS if passphrase else 1
            key = cipher_key(passphrase, rounds)
            plaintext = os.urandom(4) + hashlib.sha1(secret).digest() + secret
            total = (len(plaintext) + 2 + 15) // 16 * 16
            buf = os.urandom(total - len(plaintext) - 2) + plaintext + struct.pack(">H", len(plaintext))
            for _ in range(rounds):
                buf = cbc(key, buf, True)
            header = struct.pack(">BHH", 1, rounds // 1000, rounds // 1000)
            return base64.b64encode(header + hashlib.sha1(secret).digest()[:6] + buf).decode()

        def open_packet(packet, passphrase):
            raw = base64.b64decode(packet)
            version, hash_rounds, cipher_rounds = struct.unpack(">BHH", raw[:5])
            if version != 1:
                sys.exit("not a v1 packet")
            fingerprint, buf = raw[5:11], raw[11:]
            hash_count = hash_rounds * 1000 + 1 if passphrase else 1
            cipher_count = cipher_rounds * 1000 + 1 if passphrase else 1
            key = cipher_key(passphrase, hash_count)
            for _ in range(cipher_count):
                buf = cbc(key, buf, False)
            (length,) = struct.unpack(">H", buf[-2:])
            plaintext = buf[-2 - length:-2]
            digest, secret = plaintext[4:24], plaintext[24:]
            if hashlib.sha1(secret).digest() != digest:
                sys.exit("wrong passphrase")
            if digest[:6] != fingerprint:
                sys.exit("fingerprint mismatch")
            return secret.decode()

        request = json.loads(sys.stdin.read())
        passphrase = request["passphrase"].encode("utf-8")
        if request["op"] == "seal":
            print(seal(request["secret"].encode(), passphrase))
        else:
            print(open_packet(request["packet"], passphrase))
        """#
}
