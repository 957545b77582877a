import BamEngine
import Foundation

/// Changes the passphrase of the backup key (`bam passphrase
/// --noninteractive`, the new passphrase on stdin). An empty passphrase
/// removes the protection and needs an extra confirmation.
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
            env.page(title: "Change passphrase", template: "passphrase", ["askEmpty": true],
                     error: "An empty passphrase leaves the key unprotected: anyone who gets it can read every backup. Confirm below to do it anyway.")
            return
        }
        var arguments = ["passphrase", "--noninteractive"]
        if first.isEmpty { arguments.append("--force") }
        env.log.record(env.request, action: "passphrase", type: "key", object: first.isEmpty ? "none" : "set")
        let run = try env.bam.capture(arguments, stdin: first + "\n")
        env.page(title: "Change passphrase", template: "command_result", [
            "ok": run.status == 0, "status": Int(run.status), "what": "Changing the passphrase",
            "output": String(decoding: run.stdout, as: UTF8.self) + run.stderr,
        ])
    }
}

/// Downloads an escrow key (`bam escrow - --noninteractive`): the backup
/// secret in its own key packet, with a passphrase of its own or none.
enum EscrowPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.escrow, "download escrow keys")
        guard env.request.isSubmission else {
            env.page(title: "Escrow key", template: "escrow", [:], help: "escrow")
            return
        }
        let form = env.request.form
        var arguments = ["escrow", "-", "--noninteractive"]
        var stdin = ""
        if form.value("protect") == "none" {
            arguments.append("--no-passphrase")
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
            stdin = first + "\n"
        }
        env.log.record(env.request, action: "escrow", type: "key", object: form.value("protect") == "none" ? "unprotected" : "protected")
        let run = try env.bam.capture(arguments, stdin: stdin)
        guard run.status == 0, !run.stdout.isEmpty else {
            env.page(title: "Escrow key", template: "command_result", [
                "ok": false, "status": Int(run.status), "what": "Writing the escrow key", "output": run.stderr,
            ])
            return
        }
        env.output.sendHeaders([
            ("Content-type", "application/octet-stream"),
            ("Content-Disposition", "attachment; filename=\"bam-escrow.key\""),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ])
        env.output.write(run.stdout)
    }
}
