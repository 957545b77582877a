import BamTestSupport
@testable import BamHub
import Foundation
import Testing

/// API keys in the original Hub's format: the original TKLBAM client checks
/// a key itself before sending it, so a key of any other shape never
/// reaches the Hub from an appliance.
@Suite("Hub API key format", .serialized)
struct APIKeyFormatTests {
    /// What the original client's `is_valid_apikey` accepts (cmd_init.py):
    /// the key left-padded with `A` to 20 characters, `====` appended,
    /// decoded by Python 2's strict `base64.b32decode` (uppercase alphabet,
    /// length a multiple of 8, a padding run of 0, 1, 3, 4 or 6), and
    /// unpacked as `!L8s`, which needs exactly 12 bytes.
    static func originalClientAccepts(_ key: String) -> Bool {
        let padded = String(repeating: "A", count: max(0, 20 - key.count)) + key + "===="
        guard padded.count % 8 == 0 else { return false }
        let data = padded.prefix { $0 != "=" }
        let padding = padded.count - data.count
        guard padded.dropFirst(data.count).allSatisfy({ $0 == "=" }), [0, 1, 3, 4, 6].contains(padding) else { return false }
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        guard data.allSatisfy({ alphabet.contains($0) }) else { return false }
        return data.count * 5 / 8 == 12
    }

    @Test("the client's check, as written: 20 base32 characters pass, hex and lowercase do not")
    func clientCheck() {
        #expect(Self.originalClientAccepts("ABCDEFGHIJKLMNOPQRST"))
        #expect(Self.originalClientAccepts("234567ABCDEFGHIJKLMN"))
        #expect(!Self.originalClientAccepts(String(repeating: "0", count: 40)))  // the old hex keys
        #expect(!Self.originalClientAccepts("abcdefghijklmnopqrst"))
        #expect(!Self.originalClientAccepts("ABCDEFGHIJKLMNOPQRSTU"))
        #expect(!Self.originalClientAccepts("ABCDEFGHIJKLMNOPQRS1"))
    }

    @Test("base32 is RFC 4648's alphabet without padding")
    func base32Vectors() {
        #expect(Secrets.base32(Array("".utf8)) == "")
        #expect(Secrets.base32(Array("f".utf8)) == "MY")
        #expect(Secrets.base32(Array("fooba".utf8)) == "MZXW6YTB")
        #expect(Secrets.base32(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Secrets.base32([UInt8](repeating: 0xff, count: 12)) == "7777777777777777777Q")
    }

    @Test("new keys: 20 base32 characters from 12 random bytes, accepted by the original client")
    func newKeys() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let key = Secrets.newApiKey()
            #expect(key.count == 20)
            #expect(Self.originalClientAccepts(key), "\(key)")
            seen.insert(key)
        }
        #expect(seen.count == 200)
    }

    @Test("account add prints a key in the original format; a key issued before (40 hex) keeps working")
    func adminAndLegacyKeys() throws {
        let hub = try HubTestServer("apikey", database: .sqlite)
        let key = try hub.addAccount("new@example.com")
        #expect(Self.originalClientAccepts(key), "\(key)")
        // An account from before the change: its stored hash is of a hex key.
        let legacy = Secrets.randomHex(bytes: 20).uppercased()
        let store = try SQLStore(database: hub.database)
        try store.migrate()
        _ = try store.addAccount(email: "old@example.com", apiKeyHash: Secrets.sha256Hex(legacy), storageToken: "0011223344556677", now: 1)
        try hub.start()
        for apiKey in [key, legacy] {
            let r = try hub.call("GET", "/api/backup/subkey/", form: ["apikey": apiKey])
            #expect(r.status == 200, "\(r.bodyText)")
        }
    }
}
