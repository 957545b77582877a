import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BamEngine

@Suite("init use case")
struct InitUseCaseTests {
    @Test("a request survives the JSON trip")
    func requestRoundTrip() throws {
        var request = InitRequest(registry: "/var/lib/bam")
        request.apiKey = "APIKEY"
        request.hubURL = "https://hub.example"
        request.root = "/srv/root"
        request.force = true
        request.keyFormat = .v1
        #expect(try jsonRoundTrip(request) == request)
    }

    @Test("solo with a backup directory: secret, unprotected key, directory 0700, the registry's address")
    func soloWithDirectory() throws {
        let tree = try TestTree("usecase-init")
        var request = InitRequest(registry: tree.area("registry"))
        request.backupDirectory = tree.area("backups")
        let outcome = try InitUseCase(request).run()
        let registry = Registry(path: request.registry)
        #expect(registry.isInitialised)
        #expect(outcome.hub == nil && outcome.address == "file://" + tree.area("backups"))
        #expect(outcome.fingerprint == KeyPacket.fingerprint(of: try registry.loadSecret()))
        #expect(!(try KeyPacket.isPassphraseProtected(registry.loadKey())))
        #expect(try RegistryBackupAddress.load(registry) == "file://" + tree.area("backups"))
        var info = stat()
        #expect(stat(tree.area("backups"), &info) == 0 && info.st_mode & 0o777 == 0o700)
        let json = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        #expect(json.contains("\"initialised\":true") && !json.contains("profile_id"), "\(json)")
    }

    @Test("errors carry their exit code: re-initialising without force is a failure (1) and keeps the secret")
    func reinitialiseRefused() throws {
        let tree = try TestTree("usecase-init-again")
        let request = InitRequest(registry: tree.area("registry"))
        _ = try InitUseCase(request).run()
        let secret = try Registry(path: request.registry).loadSecret().bytes
        do {
            _ = try InitUseCase(request).run()
            Issue.record("a second init without force succeeded")
        } catch {
            #expect(error is BamError)
            #expect(BamExitStatus.of(error) == .failure)
        }
        #expect(try Registry(path: request.registry).loadSecret().bytes == secret)
    }

    @Test("invalid requests are refused before anything is written")
    func invalid() throws {
        let tree = try TestTree("usecase-init-invalid")
        var solo = InitRequest(registry: tree.area("registry"))
        solo.hubURL = "https://hub.example"
        #expect(throws: BamError.self) { try InitUseCase(solo).run() }
        var linked = InitRequest(registry: tree.area("registry"))
        linked.apiKey = "KEY"
        linked.backupDirectory = "/srv/backups"
        #expect(throws: BamError.self) { try InitUseCase(linked).run() }
        #expect(!Posix.fileExists(tree.area("registry")))
    }

    @Test("linking with an unreachable Hub fails and writes nothing")
    func unreachableHub() throws {
        let tree = try TestTree("usecase-init-hub")
        var request = InitRequest(registry: tree.area("registry"))
        request.apiKey = "KEY"
        request.hubURL = unreachableHubURL
        #expect(throws: (any Error).self) { try InitUseCase(request).run() }
        #expect(!Registry(path: request.registry).isInitialised)
    }
}
