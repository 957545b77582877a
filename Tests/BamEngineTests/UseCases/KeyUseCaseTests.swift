import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BamEngine

@Suite("passphrase and escrow use cases")
struct KeyUseCaseTests {
    static func initialised(_ tree: TestTree) throws -> Registry {
        let registry = Registry(path: tree.area("registry"))
        let secret = try registry.initialise(force: false)
        try registry.saveKey(try KeyPacket.seal(secret: secret, passphrase: "", format: .v2))
        return registry
    }

    @Test("requests survive the JSON trip")
    func requestRoundTrip() throws {
        var passphrase = PassphraseRequest(registry: "/r")
        passphrase.passphrase = "p"
        passphrase.keyFormat = .v1
        passphrase.hubURL = "https://hub.example"
        #expect(try jsonRoundTrip(passphrase) == passphrase)
        var escrow = EscrowRequest(registry: "/r")
        escrow.file = "/k"
        escrow.randomPassphrase = true
        #expect(try jsonRoundTrip(escrow) == escrow)
    }

    @Test("a new passphrase protects the registry's key; the secret stays")
    func changePassphrase() throws {
        let tree = try TestTree("usecase-pass")
        let registry = try Self.initialised(tree)
        var request = PassphraseRequest(registry: registry.path)
        request.passphrase = "new passphrase"
        let outcome = try PassphraseUseCase(request).run()
        #expect(outcome.protected && outcome.passphrase == nil && outcome.hubRecord == nil)
        let key = try registry.loadKey()
        #expect(try KeyPacket.isPassphraseProtected(key))
        #expect(try KeyPacket.open(key, passphrase: "new passphrase").bytes == registry.loadSecret().bytes)
    }

    @Test("an empty passphrase needs a confirmation; a missing registry fails (exit 1) before any key is written")
    func passphraseErrors() throws {
        let tree = try TestTree("usecase-pass-err")
        let registry = try Self.initialised(tree)
        try registry.saveKey(try KeyPacket.seal(secret: registry.loadSecret(), passphrase: "old", format: .v2))
        var request = PassphraseRequest(registry: registry.path)
        #expect(throws: BamError.self) { try PassphraseUseCase(request).run() }
        #expect(try KeyPacket.isPassphraseProtected(registry.loadKey()))
        request.allowEmpty = true
        #expect(!(try PassphraseUseCase(request).run().protected))
        let missing = PassphraseUseCase(PassphraseRequest(registry: tree.area("none")))
        do {
            try missing.checkBeforePassphrase()
            Issue.record("no registry, yet the check passed")
        } catch {
            #expect(BamExitStatus.of(error) == .failure)
        }
    }

    @Test("an escrow key handed back opens with its own passphrase; a random one is returned once")
    func escrowInMemory() throws {
        let tree = try TestTree("usecase-escrow")
        let registry = try Self.initialised(tree)
        var request = EscrowRequest(registry: registry.path)
        request.passphrase = "escrow pass"
        let outcome = try EscrowUseCase(request).run()
        let key = try #require(outcome.key)
        #expect(outcome.file == nil && outcome.protected && outcome.passphrase == nil)
        #expect(try KeyPacket.open(key, passphrase: "escrow pass").bytes == registry.loadSecret().bytes)
        request.randomPassphrase = true
        let random = try EscrowUseCase(request).run()
        #expect(try KeyPacket.open(#require(random.key), passphrase: #require(random.passphrase)).bytes == registry.loadSecret().bytes)
    }

    @Test("escrow errors carry their exit code: an existing file is kept without force; conflicting or empty protection is refused")
    func escrowErrors() throws {
        let tree = try TestTree("usecase-escrow-err")
        let registry = try Self.initialised(tree)
        try tree.file("existing.key", "keep me\n")
        var request = EscrowRequest(registry: registry.path)
        request.file = tree.area("existing.key")
        request.noPassphrase = true
        do {
            _ = try EscrowUseCase(request).run()
            Issue.record("an existing file was replaced without force")
        } catch {
            #expect(error is BamError && BamExitStatus.of(error) == .failure)
        }
        #expect(String(decoding: try Posix.readFile(tree.area("existing.key")), as: UTF8.self) == "keep me\n")
        request.force = true
        #expect(try EscrowUseCase(request).run().file == tree.area("existing.key"))
        var info = stat()
        #expect(stat(tree.area("existing.key"), &info) == 0 && info.st_mode & 0o777 == 0o600)
        request.randomPassphrase = true
        #expect(throws: BamError.self) { try EscrowUseCase(request).run() }
        var empty = EscrowRequest(registry: registry.path)
        empty.passphrase = ""
        #expect(throws: BamError.self) { try EscrowUseCase(empty).run() }
    }
}
