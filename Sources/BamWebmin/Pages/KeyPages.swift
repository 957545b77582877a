import BamEngine
import Foundation

/// Changes the passphrase of the backup key, in-process through the
/// engine's passphrase use case (the passphrase in memory only). An empty
/// passphrase removes the protection and needs an extra confirmation.
enum PassphrasePage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.configure, "change the passphrase")
        guard env.request.isSubmission else {
            env.page(title: "Change passphrase", template: "passphrase", [:], help: "passphrase")
            return
        }
        let form = env.request.form
        let first: String, second: String
        do {
            (first, second) = try WebminInput.passphrasePair(form)
        } catch {
            env.page(title: "Change passphrase", template: "passphrase", [:], error: "\(error)")
            return
        }
        guard first == second else {
            env.page(title: "Change passphrase", template: "passphrase", [:], error: "The two passphrases differ; nothing was changed.")
            return
        }
        if first.isEmpty && form.value("confirm_empty") != "yes" {
            env.page(
                title: "Change passphrase", template: "passphrase", ["askEmpty": true],
                error: "An empty passphrase leaves the key unprotected: anyone who gets it can read every backup. Confirm below to do it anyway.")
            return
        }
        var request = PassphraseRequest(registry: env.settings.registry)
        request.passphrase = first
        request.allowEmpty = first.isEmpty  // confirmed above
        request.hubURL = env.settings.hubURL
        env.log.record(env.request, action: "passphrase", type: "key", object: first.isEmpty ? "none" : "set")
        env.showOperation(title: "Change passphrase", what: "Changing the passphrase") { warnings in
            try PassphraseUseCase(request, progress: warnings).run().text
        }
    }
}

/// Downloads an escrow key, made in-process by the engine's escrow use
/// case: the backup secret in its own key packet, with a passphrase of its
/// own (in memory only) or none.
enum EscrowPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.escrow, "download escrow keys")
        guard env.request.isSubmission else {
            env.page(title: "Escrow key", template: "escrow", [:], help: "escrow")
            return
        }
        let form = env.request.form
        var request = EscrowRequest(registry: env.settings.registry)
        if form.value("protect") == "none" {
            request.noPassphrase = true
        } else {
            let first: String, second: String
            do {
                (first, second) = try WebminInput.passphrasePair(form)
            } catch {
                env.page(title: "Escrow key", template: "escrow", [:], error: "\(error)")
                return
            }
            guard first == second, !first.isEmpty else {
                env.page(title: "Escrow key", template: "escrow", [:], error: "Type the same, non-empty passphrase twice (or choose no passphrase).")
                return
            }
            request.passphrase = first
        }
        env.log.record(env.request, action: "escrow", type: "key", object: form.value("protect") == "none" ? "unprotected" : "protected")
        let key: String
        do {
            guard let packet = try EscrowUseCase(request).run().key else { throw BamError.invalid("the escrow key was not made") }
            key = packet
        } catch {
            env.showOperation(title: "Escrow key", what: "Writing the escrow key") { _ in throw error }
            return
        }
        env.output.sendHeaders([
            ("Content-type", "application/octet-stream"),
            ("Content-Disposition", "attachment; filename=\"bam-escrow.key\""),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ])
        env.output.write(Array((key + "\n").utf8))
    }
}
